// Reviewer candidate page (templates/review/candidate.html). Without this file the page is a
// plain list of photos and forms that post and reload. With it:
// - one photo at a time, fitted into its box at every rotation; zoom by wheel or keys, pan
//   by dragging or arrow keys; the replaced version beside it;
// - the photo's controls beside it; the next photos loaded ahead, so a switch only shows;
// - the photo decisions and 其余全部通过 post in the background and the page's parts are
//   replaced from the answer (no reload); an error is shown at its control, which keeps
//   the focus;
// - keyboard shortcuts (listed on the page).
// No inline style is written into the HTML: sizes and transforms are set through the CSSOM.
(function () {
  "use strict";
  var bench = document.getElementById("workbench");
  if (!bench) return;
  var photos = Array.prototype.slice.call(bench.querySelectorAll("[data-photo]"));
  var index = -1;
  var PRELOAD = 2;
  var ZOOM_MAX = 8;
  var views = new WeakMap(); // viewer figure → {rot, zoom, x, y}

  // --- the viewer -------------------------------------------------------------------------

  function viewOf(viewer) {
    var v = views.get(viewer);
    if (!v) { v = { rot: 0, zoom: 1, x: 0, y: 0 }; views.set(viewer, v); }
    return v;
  }

  // The photo's size in its box at its rotation and zoom (null until it is loaded): fitted,
  // its rotated bounding box lies inside the box.
  function measure(viewer, v) {
    var img = viewer.querySelector(".photo-img");
    if (!img || !img.naturalWidth || !viewer.clientWidth) return null;
    var boxW = viewer.clientWidth, boxH = viewer.clientHeight;
    var turned = v.rot % 180 !== 0;
    var w = img.naturalWidth, h = img.naturalHeight;
    var scale = Math.min(boxW / (turned ? h : w), boxH / (turned ? w : h));
    return {
      img: img, w: w, h: h, scale: scale, boxW: boxW, boxH: boxH,
      shownW: (turned ? h : w) * scale * v.zoom, shownH: (turned ? w : h) * scale * v.zoom,
    };
  }

  // How far above the box's centre the photo's centre is drawn: a photo shorter than its
  // box (a landscape photo in a phone's or an upright tablet's box) sits at the top of the
  // box, not in its middle with an empty band above it; a taller one is centred and panned.
  function lift(m) {
    return Math.max(0, (m.boxH - m.shownH) / 2);
  }

  // Fits the image into its box at its rotation, then applies zoom and pan; the pan is kept
  // so that the photo cannot leave the box.
  function fit(viewer) {
    var v = viewOf(viewer);
    var m = measure(viewer, v);
    if (!m) return;
    var maxX = Math.max(0, (m.shownW - m.boxW) / 2), maxY = Math.max(0, (m.shownH - m.boxH) / 2);
    v.x = Math.max(-maxX, Math.min(maxX, v.x));
    v.y = Math.max(-maxY, Math.min(maxY, v.y));
    viewer.classList.add("fitted");
    viewer.classList.toggle("zoomed", v.zoom > 1);
    m.img.style.width = m.w * m.scale + "px";
    m.img.style.height = m.h * m.scale + "px";
    m.img.style.transform = "translate(-50%, -50%) translate(" + v.x + "px, " +
      (v.y - lift(m)) + "px) rotate(" + v.rot + "deg) scale(" + v.zoom + ")";
    m.img.setAttribute("data-rot", String(v.rot));
    m.img.setAttribute("data-zoom", v.zoom.toFixed(2));
  }

  function zoomAt(viewer, factor, px, py) {
    var v = viewOf(viewer);
    var m = measure(viewer, v);
    if (!m) return;
    var zoom = Math.max(1, Math.min(ZOOM_MAX, v.zoom * factor));
    // Keep the point under the pointer (px, py from the box's centre) where it is.
    var k = zoom / v.zoom;
    var y = v.y - lift(m); // where the photo's centre is drawn
    v.x = px - (px - v.x) * k;
    v.zoom = zoom;
    v.y = py - (py - y) * k + lift(measure(viewer, v));
    fit(viewer);
  }

  function view(viewer, what) {
    var v = viewOf(viewer);
    if (what === "rotate-right") v.rot = (v.rot + 90) % 360;
    else if (what === "rotate-left") v.rot = (v.rot + 270) % 360;
    else if (what === "zoom-in") return zoomAt(viewer, 1.5, 0, 0);
    else if (what === "zoom-out") return zoomAt(viewer, 1 / 1.5, 0, 0);
    else if (what === "reset") { v.rot = 0; v.zoom = 1; v.x = 0; v.y = 0; }
    fit(viewer);
  }

  function mainViewer(photo) {
    return photo ? photo.querySelector("[data-viewer]") : null;
  }

  function fitAll(photo) {
    Array.prototype.forEach.call(photo.querySelectorAll("[data-viewer]"), fit);
  }

  photos.forEach(function (photo) {
    Array.prototype.forEach.call(photo.querySelectorAll("[data-viewer]"), function (viewer) {
      var img = viewer.querySelector(".photo-img");
      if (!img) return;
      img.addEventListener("load", function () { fit(viewer); });
      if (img.complete) fit(viewer);
      viewer.addEventListener("wheel", function (event) {
        event.preventDefault();
        var box = viewer.getBoundingClientRect();
        zoomAt(viewer, Math.pow(1.0015, -event.deltaY),
          event.clientX - box.left - box.width / 2, event.clientY - box.top - box.height / 2);
      }, { passive: false });
      var drag = null;
      viewer.addEventListener("pointerdown", function (event) {
        if (event.button !== 0 || viewOf(viewer).zoom <= 1) return;
        drag = { id: event.pointerId, x: event.clientX, y: event.clientY };
        viewer.setPointerCapture(event.pointerId);
        viewer.classList.add("dragging");
        event.preventDefault();
      });
      viewer.addEventListener("pointermove", function (event) {
        if (!drag || drag.id !== event.pointerId) return;
        var v = viewOf(viewer);
        v.x += event.clientX - drag.x;
        v.y += event.clientY - drag.y;
        drag.x = event.clientX;
        drag.y = event.clientY;
        fit(viewer);
      });
      function stop() { drag = null; viewer.classList.remove("dragging"); }
      viewer.addEventListener("pointerup", stop);
      viewer.addEventListener("pointercancel", stop);
      viewer.addEventListener("dblclick", function () { view(viewer, "reset"); });
    });
  });

  var resizing = 0;
  window.addEventListener("resize", function () {
    window.cancelAnimationFrame(resizing);
    resizing = window.requestAnimationFrame(function () {
      if (photos[index]) fitAll(photos[index]);
    });
  });

  // --- one photo at a time ------------------------------------------------------------------

  // Loading and the audit trail (review/services/audit.py): a photo shown is recorded once.
  // A photo loaded when it is shown is recorded by the server as it serves it; one loaded
  // ahead (the next ones, before the reviewer looks) carries the page's token, is served
  // without a row, and is reported here when it is shown.
  var ahead = bench.getAttribute("data-ahead") || "";
  var shownUrl = bench.getAttribute("data-shown");
  var reported = {};
  var unsent = null; // the photos of the report last in the line, not posted yet

  // The images of a photo on screen when it is current: the photo, and the version it
  // replaced while they are compared.
  function visibleImages(photo) {
    var comparing = photo.querySelector(".viewers.comparing");
    return Array.prototype.filter.call(photo.querySelectorAll(".photo-img"), function (img) {
      return comparing || !img.closest(".viewer-old");
    });
  }

  function decode(img) {
    if (img.decode) img.decode().catch(function () {});
  }

  // Loads a photo that is not shown yet (not yet asked for: still lazy), with the token.
  function loadAhead(photo) {
    if (!ahead) return;
    visibleImages(photo).forEach(function (img) {
      if (img.loading !== "lazy" || img.hasAttribute("data-ahead")) return;
      var src = img.getAttribute("src");
      img.setAttribute("data-ahead", "");
      img.src = src + (src.indexOf("?") === -1 ? "?" : "&") + "ahead=" + encodeURIComponent(ahead);
      img.loading = "eager";
      decode(img);
    });
  }

  // The photo is on screen: loads what is not loaded yet (the server records it) and
  // reports what was loaded ahead.
  function shown(photo) {
    var ids = [];
    visibleImages(photo).forEach(function (img) {
      var id = img.getAttribute("data-image");
      if (img.hasAttribute("data-ahead")) {
        if (id && !reported[id]) { reported[id] = true; ids.push(id); }
      } else if (img.loading === "lazy") {
        img.loading = "eager";
      }
      decode(img);
    });
    if (!ids.length || !shownUrl || !window.fetch) return;
    // A report still waiting at the end of the line takes these photos too: one post for
    // the photos shown while the one before was on its way (J pressed quickly), in the
    // order they were shown. Never one that a decision follows, so the trail keeps the
    // order of what the reviewer did.
    if (unsent) { unsent.push.apply(unsent, ids); return; }
    var report = ids.slice();
    unsent = report;
    // In the line of the page's other posts (one write at a time; a decision on the
    // candidate waits for it too).
    waiting += 1;
    queue = queue.then(function () {
      if (unsent === report) unsent = null;
      var token = document.querySelector("input[name=csrfmiddlewaretoken]");
      var data = new FormData();
      if (token) data.append("csrfmiddlewaretoken", token.value);
      report.forEach(function (id) { data.append("image", id); });
      return window.fetch(shownUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        keepalive: true,
        headers: { "X-Requested-With": "fetch" },
      }).catch(function () {});
    }).then(function () { waiting -= 1; });
  }

  // The next photos are loaded ahead once the current one is in and decoded, ready to be
  // painted (they wait for it, so that neither their requests nor their decoding slow it
  // down: on a page just opened, that is the time to its first photo).
  function preloadAround(i) {
    var img = photos[i] && photos[i].querySelector(".viewer:not(.viewer-old) .photo-img");
    var go = function () {
      if (index !== i) return;
      for (var k = 1; k <= PRELOAD; k++) {
        if (photos[i + k]) loadAhead(photos[i + k]);
      }
      if (photos[i - 1]) loadAhead(photos[i - 1]);
    };
    if (img && img.decode) {
      // Loaded is not enough: a photo that came in while the page was still being read is
      // decoded only now (a photo decoded already resolves at once).
      img.decode().then(go, go);
    } else if (img && !img.complete) {
      img.addEventListener("load", go, { once: true });
      img.addEventListener("error", go, { once: true });
    } else {
      go();
    }
  }

  function pkOf(photo) {
    return photo.getAttribute("data-photo");
  }

  function show(i, focus) {
    if (!photos.length) return;
    index = Math.max(0, Math.min(photos.length - 1, i));
    var current = photos[index];
    var pk = pkOf(current);
    photos.forEach(function (photo) { photo.classList.toggle("current", photo === current); });
    Array.prototype.forEach.call(bench.querySelectorAll("[data-panel]"), function (panel) {
      panel.classList.toggle("current", panel.getAttribute("data-panel") === pk);
    });
    Array.prototype.forEach.call(bench.querySelectorAll("[data-goto]"), function (chip) {
      if (chip.getAttribute("data-goto") === pk) chip.setAttribute("aria-current", "true");
      else chip.removeAttribute("aria-current");
    });
    shown(current);
    fitAll(current);
    preloadAround(index);
    if (focus !== false) current.focus({ preventScroll: true });
    // A reload comes back to this photo.
    if (window.history.replaceState && window.location.hash !== "#view-" + pk) {
      window.history.replaceState(null, "", "#view-" + pk);
    }
  }

  function photoIndex(pk) {
    for (var i = 0; i < photos.length; i++) if (pkOf(photos[i]) === String(pk)) return i;
    return -1;
  }

  // The next photo still to decide after i (else the next one, else i).
  function nextPending(i) {
    for (var k = i + 1; k < photos.length; k++) {
      if (photos[k].classList.contains("photo-pending")) return k;
    }
    return Math.min(i + 1, photos.length - 1);
  }

  // --- posting in the background ------------------------------------------------------------

  // Replaces every part of the page marked data-swap by the same part of `html`.
  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    Array.prototype.forEach.call(document.querySelectorAll("[data-swap][id]"), function (old) {
      var fresh = doc.getElementById(old.id);
      if (fresh) old.replaceWith(document.importNode(fresh, true));
    });
    // The photo's frame follows its state (approved, returned, pending).
    photos.forEach(function (photo) {
      var fresh = doc.getElementById(photo.id);
      if (fresh) photo.className = fresh.className;
    });
    return doc;
  }

  // The control to put the focus on when a panel or the decisions show an error.
  function errorTarget(scope) {
    if (!scope) return null;
    var invalid = scope.querySelector("[aria-invalid='true']");
    if (invalid) return invalid;
    var message = scope.querySelector("[data-error]");
    if (!message) return null;
    var approve = scope.querySelector(".approve-form button");
    return approve || message;
  }

  function showErrors() {
    var panel = bench.querySelector(".photo-panel.has-error");
    if (panel) {
      show(photoIndex(panel.getAttribute("data-panel")), false);
      var target = errorTarget(panel);
      if (target) target.focus();
      return true;
    }
    var decisions = document.getElementById("decision-area");
    var target2 = errorTarget(decisions);
    if (target2) { target2.focus(); return true; }
    return false;
  }

  // Posts go one after another, so that each answer shows a later state than the one before.
  var queue = Promise.resolve();
  var waiting = 0;
  var leaving = false; // a form that leaves the page is waiting for the posts on their way
  var asked = null; // that form, when its question (data-confirm) was already answered yes

  function post(form, submitter, after) {
    unsent = null; // a report before this post is closed: later photos go after it
    waiting += 1;
    queue = queue.then(function () {
      return send(form, submitter, after);
    }).then(function () { waiting -= 1; });
    return queue;
  }

  function send(form, submitter, after) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    form.setAttribute("aria-busy", "true");
    return window.fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("text/html") !== 0) throw new Error("not a page");
      return response.text().then(function (html) {
        // A decision that leaves the page waits for this answer (P after ⇧A): the post is
        // done, and the page it leaves is not updated first; nor is the form it posts
        // replaced, with what was typed in it (checked here, as the text may have come
        // in after the decision was submitted).
        if (leaving) return;
        var keep = index;
        swap(html);
        show(keep, false);
        if (!showErrors() && after) after();
      });
    }).catch(function () {
      // Nothing was shown: let the browser post the form as without JavaScript.
      form.removeAttribute("data-async");
      if (submitter) form.requestSubmit(submitter);
      else form.requestSubmit();
    });
  }


  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    // Asked at once, before any wait: a decision answered no stays on the page, which the
    // posts on their way still update; one answered yes is not asked again when it is sent.
    var question = form.getAttribute("data-confirm");
    if (question && asked !== form && !window.confirm(question)) { event.preventDefault(); return; }
    if (asked === form) asked = null;
    if (waiting && !form.hasAttribute("data-async")) {
      // A decision on the candidate waits for the photo decisions still on their way, then
      // leaves the page: their answers are not shown on it, so this very form (with the
      // reason or message typed in it) and button are still there to be posted.
      event.preventDefault();
      leaving = true;
      asked = form;
      queue.then(function () {
        if (submitter) form.requestSubmit(submitter); else form.requestSubmit();
      });
      return;
    }
    if (!form.hasAttribute("data-async") || !window.fetch) return;
    event.preventDefault();
    var panel = form.closest("[data-panel]");
    var from = panel ? photoIndex(panel.getAttribute("data-panel")) : -1;
    if (form.classList.contains("approve-form") && from === index) {
      // The photo is approved in the background while the next one is shown at once.
      show(nextPending(index));
      post(form, event.submitter);
    } else if (form.classList.contains("return-form")) {
      post(form, event.submitter, function () { if (from === index) show(nextPending(index)); });
    } else {
      post(form, event.submitter, function () {
        var status = document.querySelector("#decision-area [role=status]");
        // A photo marked 退回 stops the pass: 退回考生 instead (its button when the form is
        // open, else its summary, which Enter opens).
        var back = document.querySelector("#decisions [data-focus-first]");
        if (back && back.parentElement.open) back = back.parentElement.querySelector("button[type=submit]");
        var first = back || document.querySelector("#decisions [data-key=p]") ||
          document.querySelector("#decisions button[type=submit]");
        if (first) first.focus();
        else if (status) status.focus();
      });
    }
  });

  // --- clicks and keys ----------------------------------------------------------------------

  document.addEventListener("click", function (event) {
    var chip = event.target.closest("[data-goto]");
    if (chip && bench.classList.contains("one-photo")) {
      event.preventDefault();
      show(photoIndex(chip.getAttribute("data-goto")));
      return;
    }
    var button = event.target.closest("[data-view]");
    if (!button) return;
    var photo = button.closest("[data-photo]");
    if (!photo) return;
    var what = button.getAttribute("data-view");
    if (what === "compare") return compare(photo);
    view(mainViewer(photo), what);
  });

  function compare(photo) {
    var viewers = photo.querySelector(".viewers");
    var button = photo.querySelector("[data-view=compare]");
    if (!button) return;
    var on = viewers.classList.toggle("comparing");
    button.setAttribute("aria-pressed", on ? "true" : "false");
    shown(photo);
    fitAll(photo);
  }

  function press(selector) {
    var el = document.querySelector(selector);
    if (!el) return false;
    el.click();
    return true;
  }

  // A decision key with no control on the page (another reviewer holds the candidate, or
  // it is not at this reviewer's level): the reason, beside the photo, in a live region.
  // A new paragraph each time, so that pressing again is announced again.
  function refuseKey() {
    var region = document.getElementById("key-refusal");
    if (!region) return false;
    var message = document.createElement("p");
    message.className = "message message-warning";
    message.textContent = region.getAttribute("data-message");
    region.replaceChildren(message);
    region.scrollIntoView({ block: "nearest" });
    return true;
  }

  var PAN = 60;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") {
      if (event.key === "Escape" && photos[index]) { photos[index].focus({ preventScroll: true }); }
      return;
    }
    if (event.target.isContentEditable) return;
    var photo = photos[index];
    var panel = photo ? bench.querySelector("[data-panel='" + pkOf(photo) + "']") : null;
    var viewer = mainViewer(photo);
    var key = event.key;
    var done = true;
    if (key === "j" || key === "J") show(index + 1);
    else if (key === "k" || key === "K") show(index - 1);
    else if (key === "A" && event.shiftKey) done = press("#approve-all button[type=submit]") || refuseKey();
    else if (key === "a") {
      var approve = panel && panel.querySelector(".approve-form button");
      if (approve) approve.click(); else done = false;
    } else if (key === "r" || key === "R") {
      var select = panel && panel.querySelector(".return-form select");
      if (select) { select.focus(); select.scrollIntoView({ block: "nearest" }); } else done = false;
    } else if (key === "p" || key === "P") done = press("#decisions [data-key=p]") || refuseKey();
    else if (key === "n" || key === "N") done = press("#next-link");
    else if (key === "d" || key === "D") {
      var first = document.querySelector("#decisions button[type=submit]");
      if (first) { first.scrollIntoView({ block: "nearest" }); first.focus(); } else done = refuseKey();
    } else if (key === "Escape" && photo) photo.focus({ preventScroll: true });
    else if (!viewer) done = false;
    else if (key === "+" || key === "=") view(viewer, "zoom-in");
    else if (key === "-") view(viewer, "zoom-out");
    else if (key === "0") view(viewer, "reset");
    else if (key === "]") view(viewer, "rotate-right");
    else if (key === "[") view(viewer, "rotate-left");
    else if (key === "c" || key === "C") compare(photo);
    else if (key.indexOf("Arrow") === 0 && viewOf(viewer).zoom > 1 && tag !== "button" && tag !== "a") {
      var v = viewOf(viewer);
      if (key === "ArrowLeft") v.x += PAN;
      else if (key === "ArrowRight") v.x -= PAN;
      else if (key === "ArrowUp") v.y += PAN;
      else if (key === "ArrowDown") v.y -= PAN;
      fit(viewer);
    } else done = false;
    if (done) event.preventDefault();
  });

  // --- start ----------------------------------------------------------------------------

  if (!photos.length) return;
  bench.classList.add("one-photo");
  // The page comes back from a post without JavaScript at #photo-N (after an action on
  // photo N: the next photo to decide is shown) or #panel-N (an error at photo N).
  var hash = window.location.hash;
  var start = 0;
  var errorShown = false;
  if (hash.indexOf("#photo-") === 0 && photoIndex(hash.slice(7)) !== -1) {
    start = nextPending(photoIndex(hash.slice(7)));
  } else if (hash.indexOf("#view-") === 0 && photoIndex(hash.slice(6)) !== -1) {
    start = photoIndex(hash.slice(6));
  } else {
    for (var i = 0; i < photos.length; i++) {
      if (photos[i].classList.contains("photo-pending")) { start = i; break; }
    }
  }
  show(start, false);
  errorShown = showErrors();
  if (!errorShown && hash !== "#decisions") photos[index].focus({ preventScroll: true });
})();
