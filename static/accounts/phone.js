// The resend countdown on the phone-code button. The server enforces the cool-down; this
// only shows it. Without JavaScript the button simply stays disabled until the page reloads.
(function () {
  "use strict";
  var button = document.getElementById("send-code");
  if (!button) return;
  var left = parseInt(button.getAttribute("data-resend-in") || "0", 10);
  var label = button.getAttribute("data-label") || button.textContent;
  var wait = document.getElementById("resend-wait");
  // The wording in the page's language, from the server (data-countdown, data-wait).
  var countdown = button.getAttribute("data-countdown") || "（{seconds}秒）";
  var waitText = button.getAttribute("data-wait") || "{seconds} 秒后可重新获取。";
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
    button.textContent = label + countdown.replace("{seconds}", left);
    if (wait) wait.textContent = waitText.replace("{seconds}", left);
  }, 1000);
})();
