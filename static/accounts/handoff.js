// Continue on the phone: asks the server for a QR code without leaving the page, then polls
// whether the phone has opened it. Without JavaScript the form shows the code on a page of
// its own (and the candidate reloads it to see the state).
(function () {
  "use strict";
  var card = document.querySelector("[data-handoff-card]");
  if (!card) return;
  var slot = card.querySelector("[data-handoff-slot]");
  var timer = null;

  function poll() {
    var code = slot.querySelector("[data-status-url]");
    if (timer) window.clearTimeout(timer);
    if (!code) return;
    var status = code.querySelector("[data-handoff-status]");
    fetch(code.getAttribute("data-status-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        status.textContent = data.text;
        status.setAttribute("data-state", data.state);
        code.setAttribute("data-state", data.state);
        if (data.state === "pending") timer = window.setTimeout(poll, 2000);
      })
      .catch(function () { timer = window.setTimeout(poll, 5000); });
  }

  card.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-handoff-form]");
    if (!form) return;
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Yishen-Fragment": "1" },
    })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.text();
      })
      .then(function (html) {
        slot.innerHTML = html;
        poll();
      })
      .catch(function () { form.submit(); });
  });

  poll();
})();
