// Moves the focus to a form's error summary (#fouten) when the page shows one, so that a
// screen reader reads it first and a keyboard user can follow its links to the fields.
(function () {
  "use strict";
  function focusSummary() {
    var summary = document.getElementById("fouten");
    if (summary && summary.hasAttribute("tabindex")) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
