// Notifications page: after htmx marks something read, keep keyboard focus in a sensible
// place: the same notification, or the page heading when it left the list. htmx fires
// afterSettle once per swapped element (the out-of-band badge and status line too), so
// every call puts focus in the same place.
(function () {
  "use strict";
  var lastId = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var item = event.detail.elt && event.detail.elt.closest("[data-notification]");
    lastId = item ? item.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    var item = lastId && document.getElementById(lastId);
    var target = item ? item.querySelector("[data-focus]") : null;
    if (!target) {
      target = document.getElementById("notifications-heading");
    }
    if (target && document.activeElement !== target) {
      target.focus();
    }
  });
})();
