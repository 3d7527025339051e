/* The material page, enhanced. Without this file every action is a plain form post.
 *
 * - Choosing photos uploads them at once, one request per photo, with a progress bar.
 * - A file in a format the category does not take (sniffed from its bytes, as the server
 *   does) is refused before it is sent, in the server's words (GIF, WebP, PDF, HEIC …): the
 *   page never turns it into a JPEG behind the candidate's back.
 * - A photo that is too big is turned upright (EXIF orientation), scaled and re-encoded as
 *   JPEG to fit the category's byte limit — before it is sent — by the rule of
 *   materials/photosize.py: as large as it allows, the quality chosen by the bytes.
 * - 提交审核 / 重新提交 and delete ask for confirmation in a dialog (the submit dialog lists
 *   what will be locked); 示例 and thumbnails open in a viewer dialog.
 * - The server answers fetches (header X-Yishen-Fragment) with the re-rendered category
 *   section and status panel; elements are swapped by id.
 * - Deadline countdowns tick; categories with photos still being processed are polled.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var T = {
    heic: "这是苹果手机的 HEIC/HEIF 格式照片，当前浏览器无法读取。请在手机「设置 › 相机 › 格式」中选择「兼容性最佳」后重新拍摄，或先截图、转换为 JPG 格式后再上传。",
    unreadable: "无法读取该图片，请换一张 JPG 或 PNG 格式的照片。",
    tooBig: "照片压缩后仍超过大小限制，请裁剪后再上传。",
    preparing: "正在处理照片",
    uploading: "正在上传",
    ofN: "（第 {i} 张，共 {n} 张）",
    uploaded: "已上传 {n} 张。",
    notUploaded: "另有 {n} 张未上传：本项最多 {max} 张。",
    network: "网络连接中断，上传未完成，请重试。",
    failed: "操作未完成，请刷新页面后重试。",
    past: "已截止",
    day: "天", hour: "小时", minute: "分", second: "秒"
  };

  // The server's translations (a JSON data block: not a script, so the CSP allows it).
  try {
    var given = JSON.parse(document.getElementById("materials-strings").textContent);
    Object.keys(given).forEach(function (key) { T[key] = given[key]; });
  } catch (e) { /* keep the built-in wording */ }

  // How a photo too big for its category is shrunk: materials/photosize.py's numbers.
  var RULE = null;
  try {
    RULE = JSON.parse(document.getElementById("materials-photo-rule").textContent);
  } catch (e) { /* no rule given: a photo over the limit is refused (T.tooBig) */ }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) { return key in values ? values[key] : m; });
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /* ---- swapping server-rendered fragments ------------------------------------------- */

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var swapped = [];
    var active = document.activeElement;
    doc.querySelectorAll("[data-swap][id]").forEach(function (fresh) {
      var old = document.getElementById(fresh.id);
      if (old) {
        var node = document.importNode(fresh, true);
        old.replaceWith(node);
        swapped.push(node);
      }
    });
    // A keyboard user's focus was in a replaced part (a poll while a photo is processed):
    // it goes to the same control in the new part instead of falling back to the page's top.
    if (active && active.id && !document.contains(active)) {
      var again = document.getElementById(active.id);
      if (again) again.focus({ preventScroll: true });
    }
    startCountdowns();
    swapped.forEach(pollIfProcessing);
    return swapped;
  }

  function swapPage(html, moveFocus) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("material-page");
    var old = document.getElementById("material-page");
    if (!fresh || !old) { window.location.reload(); return; }
    old.replaceWith(document.importNode(fresh, true));
    var messages = doc.querySelector(".messages");
    var oldMessages = document.querySelector("main .messages");
    if (oldMessages) oldMessages.remove();
    if (messages) {
      var main = document.getElementById("main");
      main.insertBefore(document.importNode(messages, true), main.firstChild);
    }
    startCountdowns();
    document.querySelectorAll("[data-processing]").forEach(pollIfProcessing);
    var panel = document.getElementById("status-panel");
    if (panel && moveFocus !== false) { panel.setAttribute("tabindex", "-1"); panel.focus(); }
  }

  function showFeedback(section, errors, notices) {
    var box = section && section.querySelector(".upload-feedback");
    if (!box) return;
    box.textContent = "";
    [[errors, "errorlist upload-errors"], [notices, "upload-notices"]].forEach(function (pair) {
      if (!pair[0].length) return;
      var ul = document.createElement("ul");
      ul.className = pair[1];
      pair[0].forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        ul.appendChild(li);
      });
      box.appendChild(ul);
    });
  }

  function texts(html, selector) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    return Array.prototype.map.call(doc.querySelectorAll(selector), function (li) {
      return li.textContent.trim();
    });
  }

  /* ---- sniffing and shrinking -------------------------------------------------------- */

  function sniff(file) {
    return file.slice(0, 16).arrayBuffer().then(function (buf) {
      var b = new Uint8Array(buf);
      var ascii = String.fromCharCode.apply(null, b);
      if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
      if (b[0] === 0x89 && ascii.slice(1, 4) === "PNG") return "png";
      if (ascii.slice(4, 8) === "ftyp" && /^(heic|heix|hevc|heim|heis|mif1|msf1|avif)/.test(ascii.slice(8, 12))) return "heic";
      if (ascii.slice(0, 4) === "RIFF" && ascii.slice(8, 12) === "WEBP") return "webp";
      if (ascii.slice(0, 3) === "GIF") return "gif";
      if (ascii.slice(0, 2) === "BM") return "bmp";
      if (ascii.slice(0, 4) === "%PDF") return "pdf";
      if (ascii.slice(0, 4) === "II*\u0000" || ascii.slice(0, 4) === "MM\u0000*") return "tiff";
      return "other";
    });
  }

  function baseName(name) {
    var dot = name.lastIndexOf(".");
    var base = (dot > 0 ? name.slice(0, dot) : name).replace(/[^\w\u4e00-\u9fa5-]+/g, "_");
    return base.slice(0, 60) || "photo";
  }

  /* Decoded upright: createImageBitmap applies the EXIF orientation ('from-image'), and a
   * bitmap carries no EXIF of its own, so drawing it to a canvas cannot rotate it twice. */
  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
        return decodeWithImg(file);
      });
    }
    return decodeWithImg(file);
  }

  function decodeWithImg(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { resolve(img); setTimeout(function () { URL.revokeObjectURL(url); }, 0); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      img.src = url;  // <img> honours EXIF orientation (image-orientation: from-image)
    });
  }

  function canvasAt(source, width, height) {
    var canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";  // transparent areas become white, as on the server
    ctx.fillRect(0, 0, width, height);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(source, 0, 0, width, height);
    return canvas;
  }

  function jpegOf(canvas, quality) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); });
  }

  /* The rule of materials/photosize.py, with its numbers (the page gives them): the largest
   * side the rule keeps, at the highest quality that fits (a binary search between the top
   * and the floor quality); smaller only when even the floor does not fit. */
  function shrink(source, maxBytes) {
    var w = source.width, h = source.height, long = Math.max(w, h);
    function fits(blob) { return blob && blob.size <= maxBytes; }
    function search(canvas, low, best, high, steps) {
      var q = Math.floor((low + high) * 50 + 0.5) / 100;  // hundredths, as photosize.middle
      if (!steps || q <= low || q >= high) return Promise.resolve(best);
      return jpegOf(canvas, q).then(function (blob) {
        return fits(blob) ? search(canvas, q, blob, high, steps - 1) : search(canvas, low, best, q, steps - 1);
      });
    }
    function attempt(size) {
      if (size < RULE.minLongest) return Promise.reject(new Error("toobig"));
      var scale = size / long;
      var canvas = canvasAt(source, Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale)));
      function done(blob) { canvas.width = canvas.height = 0; return blob; }
      return jpegOf(canvas, RULE.qualityTop).then(function (top) {
        if (fits(top)) return done(top);
        return jpegOf(canvas, RULE.qualityFloor).then(function (floor) {
          if (!floor) { done(null); throw new Error("toobig"); }
          if (fits(floor)) return search(canvas, RULE.qualityFloor, floor, RULE.qualityTop, RULE.searchSteps).then(done);
          done(null);
          var factor = Math.max(RULE.stepMin, Math.min(RULE.stepMax, Math.sqrt(maxBytes / floor.size) * RULE.stepMargin));
          return attempt(Math.floor(size * factor));
        });
      });
    }
    if (!RULE) return Promise.reject(new Error("norule"));
    return attempt(Math.min(long, RULE.longest));
  }

  /* What the server answers a file of this kind that the category does not take
   * (materials/validation.py: its wording, passed in by the page). */
  function refusal(kind, formatsLabel) {
    if (kind === "heic") return T.heic;
    if (kind === "pdf") return fill(T.pdf, { formats: formatsLabel });
    var label = (T.formatLabels || {})[kind];
    if (label) return fill(T.notAllowed, { formats: formatsLabel, actual: label });
    return fill(T.unrecognised, { formats: formatsLabel });
  }

  function prepare(file, maxBytes, formats, formatsLabel) {
    // A zero-byte file has no format to sniff: said as the server says it.
    if (file.size === 0) return Promise.reject(new Error(T.empty));
    return sniff(file).then(function (kind) {
      if (formats.indexOf(kind) === -1) throw new Error(refusal(kind, formatsLabel));
      // Small enough, or no JPEG to shrink into: as chosen (the server has the last word).
      // The name is made to agree with the content (the server checks).
      if (file.size <= maxBytes || formats.indexOf("jpeg") === -1) {
        var ext = { jpeg: ".jpg", tiff: ".tif" }[kind] || "." + kind;
        return new File([file], baseName(file.name) + ext, { type: "image/" + kind });
      }
      return decode(file).then(function (source) {
        return shrink(source, maxBytes).then(function (blob) {
          if (source.close) source.close();
          return new File([blob], baseName(file.name) + ".jpg", { type: "image/jpeg" });
        }, function () { throw new Error(T.tooBig); });
      }, function () {
        throw new Error(T.unreadable);
      });
    });
  }

  /* ---- uploading --------------------------------------------------------------------- */

  function send(url, file, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      var data = new FormData();
      data.append("csrfmiddlewaretoken", csrfToken());
      data.append("photos", file, file.name);
      xhr.open("POST", url);
      xhr.setRequestHeader("X-Yishen-Fragment", "1");
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(e.loaded / e.total); };
      xhr.onload = function () { resolve({ status: xhr.status, html: xhr.responseText }); };
      xhr.onerror = function () { reject(new Error(T.network)); };
      xhr.send(data);
    });
  }

  function uploadFiles(form, fileList) {
    var section = form.closest("section.material");
    var url = form.getAttribute("action");
    var maxBytes = parseInt(section.dataset.maxBytes, 10);
    var formats = (section.dataset.formats || "jpeg,png").split(",");
    var formatsLabel = section.dataset.formatsLabel || "JPG/PNG";
    var free = parseInt(section.dataset.free, 10) || 0;
    var files = Array.prototype.slice.call(fileList);
    var errors = [], lastHtml = null;
    // Counted here: each request carries one photo, so each answer says "1 uploaded".
    var uploaded = 0, leftOut = Math.max(0, files.length - free);
    files = files.slice(0, free);
    var progress = form.querySelector(".progress");
    var bar = progress.querySelector("progress");
    var label = progress.querySelector(".progress-text");
    var input = form.querySelector("input[type=file]");
    input.disabled = true;
    progress.hidden = false;
    section.setAttribute("aria-busy", "true");

    var chain = Promise.resolve();
    files.forEach(function (file, i) {
      chain = chain.then(function () {
        var of = files.length > 1 ? fill(T.ofN, { i: i + 1, n: files.length }) : "";
        label.textContent = T.preparing + of;
        bar.removeAttribute("value");
        return prepare(file, maxBytes, formats, formatsLabel).then(function (ready) {
          label.textContent = T.uploading + of;
          bar.value = 0;
          return send(url, ready, function (fraction) {
            bar.value = Math.round(fraction * 100);
            label.textContent = T.uploading + of + " " + Math.round(fraction * 100) + "%";
          });
        }).then(function (res) {
          if (res.status >= 500 || !res.html) throw new Error(T.failed);
          lastHtml = res.html;
          var refused = texts(res.html, ".upload-errors li");
          if (res.status === 200 && !refused.length) uploaded += 1;
          refused.forEach(function (t) { errors.push(files.length > 1 ? file.name + "：" + t : t); });
        }).catch(function (err) {
          errors.push((files.length > 1 ? file.name + "：" : "") + err.message);
        });
      });
    });
    return chain.then(function () {
      var target = section;
      if (lastHtml) {
        var swapped = swap(lastHtml);
        target = swapped.filter(function (n) { return n.id === section.id; })[0] || document.getElementById(section.id);
      } else {
        input.disabled = false;
        input.value = "";
        progress.hidden = true;
        section.removeAttribute("aria-busy");
      }
      var notices = [];
      if (uploaded) notices.push(fill(T.uploaded, { n: uploaded }));
      if (leftOut) notices.push(fill(T.notUploaded, { n: leftOut, max: section.dataset.maxCount }));
      showFeedback(target, errors, notices);
      var focusable = target && (target.querySelector(".upload-input") || target.querySelector("h2"));
      if (focusable && focusable.tagName === "H2") focusable.setAttribute("tabindex", "-1");
      if (focusable) focusable.focus({ preventScroll: true });
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input.upload-input") || !input.files.length) return;
    uploadFiles(input.closest("form"), input.files);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches(".upload-form")) {
      event.preventDefault();
      var input = form.querySelector("input[type=file]");
      if (input.files.length) uploadFiles(form, input.files); else input.click();
      return;
    }
    if (form.matches("[data-confirm-submit]") && submitDialog && submitDialog.showModal) {
      event.preventDefault();
      openSubmitDialog(form);
      return;
    }
    if (form.matches("[data-page-action]")) {
      event.preventDefault();
      if (submitDialog && submitDialog.contains(form)) {
        submitOpener = null;  // the page is about to be replaced: focus goes to the panel
        submitDialog.close();
      }
      var button = form.querySelector("button");
      if (button) button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin"
      }).then(function (res) { return res.text(); })
        .then(swapPage)
        .catch(function () { form.submit(); });
    }
  });

  /* ---- 提交审核 / 重新提交 with confirmation -------------------------------------------- */

  /* The dialog lists what will be locked (or what still stops the step): a copy of the
   * status panel's <template id="submit-summary">, which every swap keeps current. Without
   * this script the button opens the same list as a page. Escape or 取消 closes it. */
  var submitDialog = document.getElementById("confirm-submit");
  var submitOpener = null;

  function openSubmitDialog(form) {
    var template = document.getElementById("submit-summary");
    if (!template) { window.location.href = form.action; return; }
    submitOpener = form.querySelector("button");
    submitDialog.textContent = "";
    submitDialog.appendChild(document.importNode(template.content, true));
    submitDialog.showModal();
    // The safe choice first: Enter right away cancels rather than locks.
    var cancel = submitDialog.querySelector("[data-close]");
    if (cancel) cancel.focus();
  }

  if (submitDialog) {
    submitDialog.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest("[data-close]")) submitDialog.close();
    });
    submitDialog.addEventListener("close", function () {
      if (submitOpener && document.contains(submitOpener)) submitOpener.focus();
      submitOpener = null;
    });
  }

  /* ---- delete with confirmation ------------------------------------------------------ */

  var confirmDialog = document.getElementById("confirm-delete");
  var pendingDelete = null;

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-delete]");
    if (link && confirmDialog && confirmDialog.showModal) {
      event.preventDefault();
      pendingDelete = link;
      confirmDialog.showModal();
      confirmDialog.querySelector("[data-close]").focus();
      return;
    }
    var viewerLink = event.target.closest && event.target.closest("a[data-viewer]");
    if (viewerLink && viewer && viewer.showModal) {
      event.preventDefault();
      openViewer(viewerLink);
    }
  });

  if (confirmDialog) {
    confirmDialog.querySelector("[data-close]").addEventListener("click", function () { confirmDialog.close(); });
    confirmDialog.addEventListener("close", function () {
      if (pendingDelete && document.contains(pendingDelete)) pendingDelete.focus();
    });
    confirmDialog.querySelector("[data-confirm]").addEventListener("click", function () {
      var link = pendingDelete;
      confirmDialog.close();
      if (!link) return;
      var section = link.closest("section.material");
      var body = new FormData();
      body.append("csrfmiddlewaretoken", csrfToken());
      fetch(link.dataset.delete, {
        method: "POST",
        body: body,
        headers: { "X-Yishen-Fragment": "1", "X-CSRFToken": csrfToken() },
        credentials: "same-origin"
      }).then(function (res) { return res.text(); }).then(function (html) {
        pendingDelete = null;
        var swapped = swap(html);
        var fresh = swapped.filter(function (n) { return section && n.id === section.id; })[0];
        var heading = fresh && fresh.querySelector("h2");
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
      }).catch(function () { showFeedback(section, [T.failed], []); });
    });
  }

  /* ---- the viewer (示例 and full-size photos) ---------------------------------------- */

  var viewer = document.getElementById("viewer");
  var lastOpener = null;

  function openViewer(link) {
    lastOpener = link;
    var img = viewer.querySelector(".viewer-image");
    img.src = link.dataset.viewer;
    img.alt = link.dataset.viewerTitle || "";
    viewer.querySelector(".viewer-title").textContent = link.dataset.viewerTitle || "";
    viewer.showModal();
    viewer.querySelector("[data-close]").focus();
  }

  if (viewer) {
    viewer.querySelector("[data-close]").addEventListener("click", function () { viewer.close(); });
    viewer.addEventListener("click", function (event) { if (event.target === viewer) viewer.close(); });
    viewer.addEventListener("close", function () {
      viewer.querySelector(".viewer-image").removeAttribute("src");
      if (lastOpener && document.contains(lastOpener)) lastOpener.focus();
    });
  }

  /* ---- countdowns -------------------------------------------------------------------- */

  var ticking = null;

  // The words come with the element, in the page's language (materials/_countdown_units.html).
  function formatLeft(ms, el) {
    var s = Math.floor(ms / 1000);
    var v = { d: Math.floor(s / 86400), h: Math.floor((s % 86400) / 3600),
              m: Math.floor((s % 3600) / 60), s: s % 60 };
    if (v.d > 0) return fill(el.dataset.dhm || "{d}" + T.day + "{h}" + T.hour + "{m}" + T.minute, v);
    if (v.h > 0) return fill(el.dataset.hms || "{h}" + T.hour + "{m}" + T.minute + "{s}" + T.second, v);
    return fill(el.dataset.ms || "{m}" + T.minute + "{s}" + T.second, v);
  }

  var refreshedAt = {};

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var left = Date.parse(el.dataset.deadline) - now;
      if (isNaN(left)) return;
      if (left <= 0) {
        // A deadline says 已截止; the opening of the window says 已开始 (data-past).
        // Full-width brackets in Chinese, plain ones in other languages.
        var past = el.dataset.past || T.past;
        el.textContent = /^zh/.test(document.documentElement.lang)
          ? "（" + past + "）" : "(" + past + ")";
        el.classList.add("is-past");
        // The moment passed while the page was open: fetch the page again so that what
        // is locked (or newly open) shows as the server now sees it. Once per moment.
        if (!refreshedAt[el.dataset.deadline] && left > -60000) {
          refreshedAt[el.dataset.deadline] = true;
          setTimeout(refreshPage, 1500);
        }
      } else {
        el.textContent = el.dataset.format
          ? fill(el.dataset.format, { left: formatLeft(left, el) })
          : "（" + (el.dataset.prefix || "") + " " + formatLeft(left, el) + "）";
        el.classList.toggle("is-soon", left < 86400000);
      }
    });
  }

  function refreshPage() {
    fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) { if (html) swapPage(html, false); });
  }

  function startCountdowns() {
    tick();
    if (!ticking) ticking = setInterval(tick, 1000);
  }

  /* ---- photos still being processed -------------------------------------------------- */

  var polls = {};

  function pollIfProcessing(section) {
    if (!section || !section.hasAttribute("data-processing")) return;
    var id = section.id;
    polls[id] = (polls[id] || 0) + 1;
    if (polls[id] > 40) return;
    setTimeout(function () {
      var current = document.getElementById(id);
      if (!current || !current.hasAttribute("data-processing")) return;
      fetch(current.dataset.fragmentUrl, { headers: { "X-Yishen-Fragment": "1" }, credentials: "same-origin" })
        .then(function (res) { return res.ok ? res.text() : null; })
        .then(function (html) {
          if (!html) return;
          var feedback = document.getElementById(id).querySelector(".upload-feedback");
          var kept = feedback ? feedback.cloneNode(true) : null;
          var swapped = swap(html);
          var fresh = swapped.filter(function (n) { return n.id === id; })[0];
          var box = fresh && fresh.querySelector(".upload-feedback");
          if (kept && box) box.replaceWith(kept);
        });
    }, Math.min(1000 * polls[id], 5000));
  }

  startCountdowns();
  document.querySelectorAll("[data-processing]").forEach(pollIfProcessing);
})();
