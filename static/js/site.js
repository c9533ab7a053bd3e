// Small enhancements; every page works without this file.
(function () {
  "use strict";

  // Countdowns: the server renders the remaining time; this ticks it every second.
  function format(seconds) {
    var days = Math.floor(seconds / 86400);
    var hours = Math.floor((seconds % 86400) / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var secs = seconds % 60;
    if (days > 0) return days + " 天 " + hours + " 小时 " + minutes + " 分 " + secs + " 秒";
    if (hours > 0) return hours + " 小时 " + minutes + " 分 " + secs + " 秒";
    return minutes + " 分 " + secs + " 秒";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var target = Date.parse(el.getAttribute("datetime"));
      if (isNaN(target)) return;
      var seconds = Math.max(0, Math.round((target - now) / 1000));
      el.textContent = format(seconds);
    });
  }

  // htmx requests that change something carry the CSRF token from its cookie (set by any page
  // with a form); public pages set no cookie, so that shared caches can keep them.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb === "get") return;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) event.detail.headers["X-CSRFToken"] = decodeURIComponent(match[1]);
  });

  // The sticky 暂存 / 提交 bar: the page scrolls a focused field clear of its real height
  // (html's scroll-padding-bottom in site.css reads --sticky-bar-height).
  function watchStickyBar(bar) {
    function measure() {
      document.documentElement.style.setProperty("--sticky-bar-height", bar.offsetHeight + "px");
    }
    measure();
    if (window.ResizeObserver) new ResizeObserver(measure).observe(bar);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-countdown]")) {
      tick();
      window.setInterval(tick, 1000);
    }
    var bar = document.querySelector(".actions--sticky");
    if (bar) watchStickyBar(bar);
  });
})();
