// Small enhancements; every page works without this file.
(function () {
  "use strict";

  // What only works with this file (.js-only in site.css) shows from here on.
  document.documentElement.classList.add("js");

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

  // Photo strips: 上一张 / 下一张 move the strip one photo (scroll snapping keeps it aligned);
  // each says it is unavailable at its end (aria-disabled, not disabled: a focused button
  // that became disabled would drop the keyboard's focus).
  function watchGallery(controls) {
    var named = controls.querySelector("[aria-controls]");
    var strip = named && document.getElementById(named.getAttribute("aria-controls"));
    if (!strip) return;
    var items = strip.children;
    var buttons = controls.querySelectorAll("[data-gallery-step]");
    function pitch() {
      return items.length > 1 ? items[1].offsetLeft - items[0].offsetLeft : strip.clientWidth;
    }
    function update() {
      var end = strip.scrollWidth - strip.clientWidth - 1;
      buttons.forEach(function (button) {
        var step = Number(button.getAttribute("data-gallery-step"));
        var atEnd = step < 0 ? strip.scrollLeft <= 0 : strip.scrollLeft >= end;
        button.setAttribute("aria-disabled", atEnd ? "true" : "false");
      });
    }
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        if (button.getAttribute("aria-disabled") === "true") return;
        var step = Number(button.getAttribute("data-gallery-step"));
        var index = Math.round(strip.scrollLeft / pitch()) + step;
        index = Math.max(0, Math.min(items.length - 1, index));
        strip.scrollTo({ left: index * pitch(), behavior: "smooth" });
      });
    });
    strip.addEventListener("scroll", update, { passive: true });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".gallery__controls").forEach(watchGallery);
    if (document.querySelector("[data-countdown]")) {
      tick();
      window.setInterval(tick, 1000);
    }
    var bar = document.querySelector(".actions--sticky");
    if (bar) watchStickyBar(bar);
  });
})();
