// Keyboard shortcuts of the KCC queue and workspace, and text modules typed as ::name.
// Listed in templates/kcc/_shortcuts.html; every shortcut has a button or link that does the
// same without JavaScript. They can be turned off (WCAG 2.1.4): the choice is kept in this
// browser's localStorage. Only modifier combinations, read from event.code, so a layout or
// Option key on a Mac that types another character does not matter.
(function () {
  "use strict";

  var STORE = "mijn-kcc-sneltoetsen";

  function enabled() {
    try {
      return window.localStorage.getItem(STORE) !== "uit";
    } catch (e) {
      return true;
    }
  }

  function remember(on) {
    try {
      window.localStorage.setItem(STORE, on ? "aan" : "uit");
    } catch (e) { /* storage blocked: the choice lasts for this page only */ }
  }

  function box() {
    return document.querySelector("[data-shortcuts]");
  }

  function replyBox() {
    return document.querySelector("[data-reply-box]");
  }

  function click(selector) {
    var found = document.querySelector(selector);
    if (found) { found.click(); }
    return Boolean(found);
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function takeNext() {
    var url = box() && box().getAttribute("data-next-url");
    if (!url) { return false; }
    if (click("form[action='" + url + "'] button[type=submit]")) { return true; }
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrfToken();
    form.appendChild(token);
    document.body.appendChild(form);
    form.submit();
    return true;
  }

  function useSuggestion(n) {
    var items = document.querySelectorAll("#kennisbank .mijn-suggestions > li");
    if (n > items.length) { return false; }
    var use = items[n - 1].querySelector(
      "[data-use-answer], a[href*='gebruik='], button[name='gebruik']"
    );
    if (!use) { return false; }
    use.click();
    return true;
  }

  function focusReply() {
    var reply = replyBox();
    if (!reply) { return false; }
    reply.focus();
    return true;
  }

  function backToQueue() {
    var url = box() && box().getAttribute("data-queue-url");
    if (!url) { return false; }
    window.location.assign(url);
    return true;
  }

  // What a key combination does; true when it did something (then the browser does not).
  function act(event) {
    var code = event.code;
    var ctrl = event.ctrlKey || event.metaKey;
    if (ctrl && !event.altKey && code === "Enter") {
      return click(event.shiftKey ? "[data-shortcut=send-next]" : "[data-shortcut=send]");
    }
    if (!event.altKey || ctrl) { return false; }
    if (event.shiftKey) {
      if (code === "KeyN") { return takeNext(); }
      if (code === "KeyR") { return focusReply(); }
      if (code === "KeyW") { return backToQueue(); }
      return false;
    }
    var digit = /^Digit([1-3])$/.exec(code);
    return digit ? useSuggestion(Number(digit[1])) : false;
  }

  function onKey(event) {
    if (!enabled() || event.defaultPrevented || event.repeat) { return; }
    if (act(event)) { event.preventDefault(); }
  }

  // --- text modules: ::name followed by a space, Tab or Enter -------------------------------

  function modules() {
    var found = {};
    document.querySelectorAll("[data-module-name]").forEach(function (item) {
      found[item.getAttribute("data-module-name")] = item.getAttribute("data-module-text");
    });
    return found;
  }

  function expand(event) {
    var area = event.target;
    if (!enabled() || !area.matches || !area.matches("[data-reply-box]")) { return; }
    if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) { return; }
    if (event.key !== " " && event.key !== "Tab" && event.key !== "Enter") { return; }
    var end = area.selectionStart;
    if (end !== area.selectionEnd) { return; }
    var typed = /::([a-z0-9-]+)$/.exec(area.value.slice(0, end));
    var text = typed && modules()[typed[1]];
    if (typeof text !== "string") { return; }
    var start = end - typed[0].length;
    area.setRangeText(text, start, end, "end");
    area.dispatchEvent(new Event("input", { bubbles: true }));
    if (event.key !== " ") { event.preventDefault(); }  // a space is typed after the text
  }

  function setUp() {
    document.addEventListener("keydown", onKey);
    document.addEventListener("keydown", expand, true);
    var panel = box();
    var wrapper = panel && panel.querySelector("[data-shortcuts-switch]");
    if (!wrapper) { return; }
    var toggle = wrapper.querySelector("input[type=checkbox]");
    toggle.checked = enabled();
    toggle.addEventListener("change", function () { remember(toggle.checked); });
    wrapper.hidden = false;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
