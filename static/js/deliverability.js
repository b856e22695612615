// Deliverability tab: a "Checking…" state on Re-check now (copy buttons: copy.js).
(function () {
  "use strict";

  var recheck = document.querySelector("[data-recheck]");
  if (recheck) {
    recheck.addEventListener("submit", function () {
      var button = recheck.querySelector("[data-recheck-button]");
      // Disabled after the submit has started, so the form still posts.
      setTimeout(function () {
        button.disabled = true;
        button.textContent = "Checking…";
      }, 0);
    });
  }
})();
