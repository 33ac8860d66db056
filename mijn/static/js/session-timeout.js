// The idle timeout warning of a logged-in citizen's page (templates/common/_session_timeout.html).
// The server renders on <body> how many seconds the session has left (data-session-seconds) and
// its full idle time (data-session-idle-seconds), and until its absolute limit
// (data-session-max-seconds). Two minutes before the end a modal dialog asks
// whether to stay logged in: "Ingelogd blijven" (or Escape) posts to the keep-alive endpoint,
// "Uitloggen" is a plain form. Typing in a form counts as activity too (at most one post a
// minute), and so does an htmx request. When the time runs out, the text typed in the page's
// text areas is kept in this tab's sessionStorage and put back after logging in again on the
// same page (best effort).
(function () {
  "use strict";

  var WARN_MS = 120 * 1000;
  var TYPING_PING_MS = 60 * 1000;
  var STORE = "mijn-tekst:";

  var body = document.body;
  var dialog = document.querySelector("[data-session-dialog]");
  if (!body || !dialog || typeof dialog.showModal !== "function") {
    return;
  }
  var idleMs = parseInt(body.getAttribute("data-session-idle-seconds"), 10) * 1000;
  var deadline = Date.now() + parseInt(body.getAttribute("data-session-seconds"), 10) * 1000;
  // Activity never keeps a session past its absolute limit (hours after the login).
  var latest = Date.now() + parseInt(body.getAttribute("data-session-max-seconds"), 10) * 1000;
  var lastPing = Date.now();
  var warned = false;
  var ended = false;
  var timer = null;

  function part(name) {
    return dialog.querySelector("[data-session-" + name + "]");
  }

  function csrfToken() {
    try {
      return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (e) {
      return "";
    }
  }

  function storeKey() {
    return STORE + window.location.pathname;
  }

  function textAreas() {
    return Array.prototype.slice.call(document.querySelectorAll("main textarea"));
  }

  function saveTexts() {
    var texts = {};
    var any = false;
    textAreas().forEach(function (area) {
      var key = area.name || area.id;
      if (key && area.value.trim()) {
        texts[key] = area.value;
        any = true;
      }
    });
    try {
      if (any) {
        window.sessionStorage.setItem(storeKey(), JSON.stringify(texts));
      }
    } catch (e) { /* storage full or blocked: nothing more we can do */ }
  }

  function forgetTexts() {
    try {
      window.sessionStorage.removeItem(storeKey());
    } catch (e) { /* storage blocked */ }
  }

  function restoreTexts() {
    var texts;
    try {
      texts = JSON.parse(window.sessionStorage.getItem(storeKey()) || "null");
    } catch (e) {
      texts = null;
    }
    if (!texts) {
      return;
    }
    var restored = false;
    textAreas().forEach(function (area) {
      var key = area.name || area.id;
      if (key && typeof texts[key] === "string" && !area.value.trim()) {
        area.value = texts[key];
        restored = true;
      }
    });
    forgetTexts();
    var note = document.querySelector("[data-session-restored]");
    if (restored && note) {
      note.hidden = false;
    }
  }

  function ping() {
    lastPing = Date.now();
    return window.fetch(dialog.getAttribute("data-keep-url"), {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-CSRF-Token": csrfToken() }
    }).then(function (response) {
      if (response.status !== 204) {
        throw new Error("not kept");
      }
      deadline = Math.min(Date.now() + idleMs, latest);
    });
  }

  function stay() {
    ping().then(function () {
      warned = false;
      forgetTexts();
      if (dialog.open) {
        dialog.close();
      }
    }, function () {
      part("failed").hidden = false;
    });
  }

  function warn() {
    warned = true;
    saveTexts();
    part("failed").hidden = true;
    if (!dialog.open) {
      dialog.showModal();
    }
    part("keep").focus();
  }

  function end() {
    ended = true;
    window.clearInterval(timer);
    saveTexts();
    part("text").hidden = true;
    part("failed").hidden = true;
    part("keep").hidden = true;
    part("logout").hidden = true;
    part("ended").hidden = false;
    part("title-warn").hidden = true;
    part("title-ended").hidden = false;
    part("login").hidden = false;
    if (!dialog.open) {
      dialog.showModal();
    }
    part("title").focus();
  }

  function tick() {
    var left = deadline - Date.now();
    if (left <= 0) {
      end();
    } else if (left <= WARN_MS && !warned) {
      warn();
    }
  }

  part("keep").addEventListener("click", stay);
  // Escape: the visitor is there, so it counts as staying logged in; once ended, it stays open.
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    if (!ended) {
      stay();
    }
  });
  document.addEventListener("input", function (event) {
    if (ended || warned || dialog.contains(event.target)) {
      return;
    }
    if (Date.now() - lastPing >= TYPING_PING_MS) {
      ping().catch(function () { /* the warning will come in time */ });
    }
  });

  // An htmx request is activity too: the server notes it, at most a minute late.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!ended && !warned && xhr && xhr.status > 0 && xhr.status < 400) {
      deadline = Math.min(Math.max(deadline, Date.now() + idleMs - TYPING_PING_MS), latest);
    }
  });

  restoreTexts();
  timer = window.setInterval(tick, 1000);
  tick();
})();
