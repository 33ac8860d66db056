// The KCC question workspace: "Gebruik dit antwoord" puts the answer's text where the cursor
// is in the reply (or at its end, when the reply was never focused) and keeps everything
// typed. Without this script the button posts the form and the page comes back with the
// text appended (mijn/http/kcc/questions.py: insert_answer). Adding documents (a form of its
// own) sends the reply and the note being typed along, to be kept as the draft.
(function () {
  "use strict";

  var focused = false;  // has the agent been in the reply? then its cursor counts
  var leaving = false;  // a form is being sent: no draft may be saved after it

  function reply() {
    return document.getElementById("veld-antwoord");
  }

  function insert(textarea, text) {
    var value = textarea.value;
    var start = focused ? textarea.selectionStart : value.length;
    var end = focused ? textarea.selectionEnd : value.length;
    var before = value.slice(0, start);
    var after = value.slice(end);
    if (!focused && before.trim() !== "") {
      before = before.replace(/\s+$/, "") + "\n\n";
    }
    textarea.value = before + text + after;
    var cursor = before.length + text.length;
    textarea.focus();
    textarea.setSelectionRange(cursor, cursor);
    // The draft is saved as after any typing (htmx listens to "input").
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function use(button) {
    var textarea = reply();
    if (!textarea) {
      return false;
    }
    insert(textarea, button.getAttribute("data-answer-text") || "");
    var used = document.getElementById("antwoord-id");
    if (used) {
      used.value = button.getAttribute("data-answer-id") || "";
    }
    var status = document.getElementById("antwoord-melding");
    if (status) {
      var message = document.createElement("p");
      message.className = "utrecht-paragraph mijn-note";
      message.textContent = status.getAttribute("data-inserted") || "";
      status.replaceChildren(message);
    }
    return true;
  }

  document.addEventListener("focusin", function (event) {
    if (event.target === reply()) {
      focused = true;
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("[data-answer-text]");
    if (button && use(button)) {
      event.preventDefault();
    }
  });

  // A form beside the reply (adding documents) takes what is typed along, kept as the draft
  // there: the draft saved a moment after typing may not have been saved yet.
  function carryDrafts(form) {
    form.querySelectorAll("input[data-draft-from]").forEach(function (input) {
      var from = document.getElementById(input.getAttribute("data-draft-from"));
      if (from) {
        input.name = input.getAttribute("data-draft-name") || "";
        input.value = from.value;
      }
    });
  }

  document.addEventListener("submit", function (event) {
    leaving = leaving || !event.defaultPrevented;  // htmx's own forms stay on the page
    if (!event.defaultPrevented && event.target instanceof HTMLFormElement) {
      carryDrafts(event.target);
    }
  });

  window.addEventListener("pageshow", function () {
    leaving = false;
  });

  // A draft saved after the reply was sent would bring the sent text back on the next visit.
  document.addEventListener("htmx:confirm", function (event) {
    var path = event.detail && event.detail.path;
    if (leaving && path && /\/concept$/.test(path)) {
      event.preventDefault();
    }
  });
})();
