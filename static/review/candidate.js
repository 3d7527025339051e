// Reviewer candidate page: zoom and rotate (CSS classes, no inline style), keyboard shortcuts,
// confirmation before a final refusal. Everything works without it; this only speeds it up.
(function () {
  "use strict";
  var photos = Array.prototype.slice.call(document.querySelectorAll("[data-photo]"));
  var ZOOMS = ["", "zoom-150", "zoom-200", "zoom-300"];

  function state(img) {
    return {
      rot: parseInt(img.getAttribute("data-rot") || "0", 10),
      zoom: parseInt(img.getAttribute("data-zoom") || "0", 10),
    };
  }

  function apply(img, s) {
    img.classList.remove("rot-90", "rot-180", "rot-270");
    ZOOMS.forEach(function (z) { if (z) img.classList.remove(z); });
    if (s.rot) img.classList.add("rot-" + s.rot);
    if (ZOOMS[s.zoom]) img.classList.add(ZOOMS[s.zoom]);
    img.setAttribute("data-rot", String(s.rot));
    img.setAttribute("data-zoom", String(s.zoom));
  }

  function view(photo, what) {
    var img = photo.querySelector(".photo-img");
    if (!img) return;
    var s = state(img);
    if (what === "rotate-right") s.rot = (s.rot + 90) % 360;
    else if (what === "rotate-left") s.rot = (s.rot + 270) % 360;
    else if (what === "zoom-in") s.zoom = Math.min(s.zoom + 1, ZOOMS.length - 1);
    else if (what === "zoom-out") s.zoom = Math.max(s.zoom - 1, 0);
    else if (what === "reset") s = { rot: 0, zoom: 0 };
    apply(img, s);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-view]");
    if (!button) return;
    var photo = button.closest("[data-photo]");
    if (photo) view(photo, button.getAttribute("data-view"));
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  function current() {
    var active = document.activeElement;
    var photo = active && active.closest ? active.closest("[data-photo]") : null;
    return photo;
  }

  function move(step) {
    if (!photos.length) return;
    var index = photos.indexOf(current());
    index = index === -1 ? (step > 0 ? 0 : photos.length - 1) : index + step;
    index = Math.max(0, Math.min(photos.length - 1, index));
    photos[index].focus();
    photos[index].scrollIntoView({ block: "start" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") return;
    var key = event.key;
    var photo = current();
    if (key === "j" || key === "J") { move(1); event.preventDefault(); }
    else if (key === "k" || key === "K") { move(-1); event.preventDefault(); }
    else if (key === "n" || key === "N") {
      var next = document.getElementById("next-link");
      if (next) window.location.href = next.href;
    } else if (key === "d" || key === "D") {
      var first = document.querySelector("#decisions button[type=submit]");
      if (first) { event.preventDefault(); first.scrollIntoView({ block: "center" }); first.focus(); }
    } else if (photo && (key === "a" || key === "A")) {
      var approve = photo.querySelector(".approve-form");
      if (approve) { event.preventDefault(); approve.requestSubmit ? approve.requestSubmit() : approve.submit(); }
    } else if (photo && (key === "r" || key === "R")) {
      var select = photo.querySelector(".return-form select");
      if (select) { event.preventDefault(); select.focus(); }
    } else if (photo && (key === "+" || key === "=")) view(photo, "zoom-in");
    else if (photo && key === "-") view(photo, "zoom-out");
    else if (photo && key === "]") view(photo, "rotate-right");
    else if (photo && key === "[") view(photo, "rotate-left");
  });

  // After an action the page comes back on the photo acted on (#photo-N): the next photo
  // gets the focus, so that A/R go on down the list. After load, so that the browser's own
  // scroll-to-anchor does not take the focus back.
  function focusAfterAction() {
    if (!window.location.hash || window.location.hash.indexOf("#photo-") !== 0) return;
    var target = document.getElementById(window.location.hash.slice(1));
    if (!target) return;
    var following = photos[photos.indexOf(target) + 1] || target;
    following.focus();
  }
  window.addEventListener("load", function () { window.setTimeout(focusAfterAction, 0); });
})();
