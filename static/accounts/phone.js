// The resend countdown on the phone-code button. The server enforces the cool-down; this
// only shows it. Without JavaScript the button simply stays disabled until the page reloads.
(function () {
  "use strict";
  var button = document.getElementById("send-code");
  if (!button) return;
  var left = parseInt(button.getAttribute("data-resend-in") || "0", 10);
  var label = button.getAttribute("data-label") || button.textContent;
  var wait = document.getElementById("resend-wait");
  if (!(left > 0)) return;
  var timer = window.setInterval(function () {
    left -= 1;
    if (left <= 0) {
      window.clearInterval(timer);
      button.disabled = false;
      button.textContent = label;
      if (wait) wait.hidden = true;
      return;
    }
    button.textContent = label + "（" + left + "秒）";
    if (wait) wait.textContent = left + " 秒后可重新获取。";
  }, 1000);
})();
