// The enrol panel: after htmx swaps it in place (enrol, leave the waiting list...), move
// focus to its message so keyboard and screen-reader users hear what happened instead
// of being left on a button that no longer exists.
(function () {
  "use strict";
  if (window.syllabusEnrolPanel) {
    return; // the panel's script tag comes back with every swap: listen once
  }
  window.syllabusEnrolPanel = true;
  document.addEventListener("htmx:afterSwap", function (event) {
    var swapped = event.detail && event.detail.target;
    var panel = document.getElementById("enrol-panel");
    if (!panel || !swapped || swapped.id !== "enrol-panel") {
      return;
    }
    var target = panel.querySelector(".enrol-feedback .message") || panel.querySelector("h2");
    if (target) {
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
  });
})();
