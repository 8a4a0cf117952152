// Buttons marked data-composer-insert put their data-text into the conversation's reply draft (at the
// cursor, switching the composer to a reply). No inline script, so the CSP holds; pages work without it.
(function () {
  "use strict";
  // Several panels of one page bring this file; one listener is enough.
  if (window.rapportComposerInsert) { return; }
  window.rapportComposerInsert = true;

  function insertIntoComposer(text) {
    var area = document.getElementById("composer-body");
    if (!area) { return false; }
    var reply = document.querySelector('#composer input[name="kind"][value="outbound"]');
    if (reply && !reply.checked) {
      reply.checked = true;
      reply.dispatchEvent(new Event("change", { bubbles: true }));
    }
    var start = area.selectionStart || area.value.length;
    var end = area.selectionEnd || start;
    var before = area.value.slice(0, start);
    var spaced = before && !/\s$/.test(before) ? " " + text : text;
    area.value = before + spaced + area.value.slice(end);
    area.focus();
    var caret = (before + spaced).length;
    area.setSelectionRange(caret, caret);
    area.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-composer-insert]");
    if (!button) { return; }
    event.preventDefault();
    if (insertIntoComposer(button.getAttribute("data-text") || "")) {
      button.textContent = "Inserted";
    }
  });
})();
