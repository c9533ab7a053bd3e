// 信息填报: nothing typed is lost, and Enter never presses a button (issue 16).
// Without this file the form still works: its first submit button is a hidden 暂存, so Enter
// saves; the 暂存 button saves; the page says to press it.
(function () {
  "use strict";

  var DELAY = 1000; // ms after the last keystroke before the fields are saved
  var PENDING = "正在暂存…"; // what the status says while an edit is not yet saved

  function start(form) {
    var url = form.getAttribute("data-autosave");
    var status = document.getElementById("autosave-status");
    var hint = document.getElementById("autosave-hint");
    var changes = 0; // edits so far
    var saved = 0; // edits the last successful save included
    var timer = null;
    var inFlight = null; // the save under way, a Promise
    var leaving = false; // a button of the form was pressed: its post keeps everything

    if (hint && hint.getAttribute("data-autosave-text")) {
      hint.textContent = hint.getAttribute("data-autosave-text");
    }

    function show(text) {
      if (status && status.textContent !== text) status.textContent = text;
    }

    function fields() {
      var data = new FormData(form);
      // Files go up on their own as soon as they are chosen (document_kind.html).
      Array.from(data.keys()).forEach(function (name) {
        if (name.indexOf("upload_") === 0) data.delete(name);
      });
      return data;
    }

    function save() {
      timer = null;
      if (inFlight) {
        // One save at a time, in order: the next one leaves when this one is back.
        inFlight.then(schedule.bind(null, 0));
        return inFlight;
      }
      var upTo = changes;
      inFlight = fetch(url, {
        method: "POST",
        body: fields(),
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.text().then(function (text) {
            if (response.ok && !response.redirected) {
              saved = Math.max(saved, upTo);
              var box = document.createElement("div");
              box.innerHTML = text; // our own fragment: 已暂存 <time>…</time>
              // 已暂存 only when it covers every edit: typed since, the next save is coming.
              show(changes > saved ? PENDING : box.textContent.trim());
            } else if (response.status === 409) {
              show(text);
            } else {
              show("未能自动暂存，请点击“暂存”。");
            }
          });
        })
        .catch(function () {
          show("网络不通，未能自动暂存，请稍后点击“暂存”。");
        })
        .then(function () {
          inFlight = null;
        });
      return inFlight;
    }

    function schedule(delay) {
      if (timer) window.clearTimeout(timer);
      if (changes > saved) timer = window.setTimeout(save, delay);
    }

    function changed(event) {
      if (event.target.type === "file") return;
      changes += 1;
      show(PENDING);
      schedule(event.type === "change" ? 0 : DELAY);
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);

    // Enter in a one-line field: to the next field, as a phone's 下一项 key does; never a submit.
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key !== "Enter" || event.isComposing || target.tagName !== "INPUT") return;
      if (["submit", "button", "file", "reset", "image"].indexOf(target.type) >= 0) return;
      event.preventDefault();
      var all = Array.from(form.querySelectorAll("input, select, textarea")).filter(function (el) {
        return !el.disabled && el.type !== "hidden" && el.tabIndex >= 0 && el.offsetParent;
      });
      var next = all[all.indexOf(target) + 1];
      if (next) next.focus();
    });
    form.querySelectorAll("input").forEach(function (input) {
      if (["text", "tel", "number", "date", "email"].indexOf(input.type) >= 0) {
        input.enterKeyHint = "next";
      }
    });

    // A button of the form posts everything typed; a save still under way goes first, so the
    // post's rows (a member added, a file removed) are the last word.
    form.addEventListener("submit", function (event) {
      if (timer) window.clearTimeout(timer);
      timer = null;
      if (inFlight) {
        event.preventDefault();
        var submitter = event.submitter;
        inFlight.then(function () {
          leaving = true;
          if (form.requestSubmit) form.requestSubmit(submitter || undefined);
          else form.submit();
        });
        return;
      }
      leaving = true;
    });

    // Leaving with edits not yet saved: the browser asks first; if the applicant leaves all the
    // same, the fields go in a last request that survives the page.
    window.addEventListener("beforeunload", function (event) {
      if (leaving || changes <= saved) return;
      event.preventDefault();
      event.returnValue = "";
    });
    window.addEventListener("pagehide", function () {
      if (leaving || changes <= saved || !navigator.sendBeacon) return;
      var data = fields();
      data.append("via", "beacon");
      navigator.sendBeacon(url, data);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-autosave]");
    if (form) start(form);
  });
})();
