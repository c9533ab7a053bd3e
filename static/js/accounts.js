// The 60-second wait after 发送验证短信 (accounts pages). The server enforces the limits
// whatever this does; without JavaScript the button stays enabled and the server says when.
(function () {
  "use strict";

  function countDown(button) {
    var seconds = parseInt(button.getAttribute("data-resend-seconds"), 10);
    button.removeAttribute("data-resend-seconds");
    if (!(seconds > 0)) return;
    var label = button.textContent;
    button.disabled = true;
    function tick() {
      if (!button.isConnected) return;
      if (seconds <= 0) {
        button.disabled = false;
        button.textContent = label;
        return;
      }
      button.textContent = seconds + " 秒后重新发送";
      seconds -= 1;
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  function start(root) {
    root.querySelectorAll("[data-resend-seconds]").forEach(countDown);
  }

  if (window.htmx) {
    window.htmx.onLoad(start);
  } else {
    document.addEventListener("DOMContentLoaded", function () {
      start(document);
    });
  }
})();
