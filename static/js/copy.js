// Copy buttons: [data-copy] copies the [data-copy-source] beside it (records to publish, a new
// API token). Without this script the pages work the same: a click on a value selects it
// whole (CSS user-select: all), ready to copy.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP pages have no Clipboard API: copy from a selected, off-screen textarea.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "copy-scratch";
      document.body.appendChild(area);
      area.select();
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
      document.body.removeChild(area);
      if (copied) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function selectContents(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = button.parentElement.querySelector("[data-copy-source]");
    if (!source) return;
    var label = button.textContent;
    var timer = null;
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(source.textContent).then(
        function () {
          button.textContent = "Copied";
          button.setAttribute("data-copied", "");
        },
        function () {
          selectContents(source);
          button.textContent = "Press Ctrl+C";
        }
      );
      clearTimeout(timer);
      timer = setTimeout(function () {
        button.textContent = label;
        button.removeAttribute("data-copied");
      }, 2000);
    });
  });
})();
