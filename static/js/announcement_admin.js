// The 配租公告's admin page: the panel beside the text (the plan's conditions and where the
// text contradicts them) follows what staff type and which plan they choose. Without this file
// the panel shows what was last saved, and saving shows the same warning.
(function () {
  "use strict";

  var DELAY = 600; // ms after the last key, so a sentence is read once, not letter by letter

  function start() {
    var panel = document.getElementById("announcement-check");
    var form = panel && panel.closest("form");
    var body = form && form.querySelector("[name=body]");
    var plan = form && form.querySelector("[name=plan]");
    if (!body || !plan) return;
    var url = panel.getAttribute("data-check-url");
    var button = panel.querySelector("button[formaction]");
    var editing = button ? button.getAttribute("formaction").split("?")[1] : "";
    if (editing) url += "?" + editing;
    var timer = null;
    var sent = 0;

    function refresh() {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      data.append("plan", plan.value);
      data.append("body", body.value);
      var number = ++sent;
      fetch(url, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html === null || number !== sent) return; // a later answer is on its way
          var current = document.getElementById("announcement-check");
          var holder = document.createElement("div");
          holder.innerHTML = html;
          current.replaceWith(holder.firstElementChild);
        })
        .catch(function () {}); // offline: the panel keeps its last answer, saving still warns
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY);
    }

    body.addEventListener("input", later);
    // The plan is an autocomplete select: its choices come through jQuery's change event.
    if (window.django && window.django.jQuery) window.django.jQuery(plan).on("change", refresh);
    else plan.addEventListener("change", refresh);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
