// Moves the focus to a form's error summary (#fouten) when the page shows one, and when an
// htmx swap brings one in, so that a screen reader reads it first and a keyboard user can
// follow its links to the fields.
(function () {
  "use strict";
  function focusSummary(within) {
    var summary = document.getElementById("fouten");
    if (summary && summary.hasAttribute("tabindex") && (!within || within.contains(summary))) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { focusSummary(null); });
  } else {
    focusSummary(null);
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    if (target && target.nodeType === 1) {
      focusSummary(target);
    }
  });
})();
