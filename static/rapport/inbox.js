// The inbox's keyboard shortcuts and row selection. The list is replaced by htmx after a search,
// a page change or a bulk action, so rows are looked up afresh each time rather than kept.
(function () {
  "use strict";

  var current = -1;

  function results() { return document.getElementById("results"); }

  function rows() {
    var list = results();
    return list ? Array.prototype.slice.call(list.querySelectorAll("[data-row]")) : [];
  }

  function checkboxOf(row) { return row ? row.querySelector('input[type="checkbox"][name="ids"]') : null; }

  function linkOf(row) { return row ? row.querySelector("[data-row-link]") : null; }

  function checked() {
    var list = results();
    return list ? list.querySelectorAll('input[type="checkbox"][name="ids"]:checked') : [];
  }

  function updateCount() {
    var list = results();
    if (!list) { return; }
    var label = list.querySelector("[data-selected-count]");
    var count = checked().length;
    if (label) { label.textContent = count + " selected"; }
    list.classList.toggle("has-selection", count > 0);
    var all = list.querySelector("[data-select-all]");
    if (all) {
      var boxes = list.querySelectorAll('input[type="checkbox"][name="ids"]');
      all.checked = boxes.length > 0 && count === boxes.length;
      all.indeterminate = count > 0 && count < boxes.length;
    }
    rows().forEach(function (row) {
      var box = checkboxOf(row);
      row.classList.toggle("is-selected", Boolean(box && box.checked));
    });
  }

  function moveTo(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("is-current", i === current); });
    var link = linkOf(all[current]);
    if (link) { link.focus({ preventScroll: true }); }
    all[current].scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    var all = rows();
    if (current < 0 || current >= all.length) {
      // Focus may have moved to a row by Tab or a click since the last j/k.
      var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-row]");
      if (!focused) { return null; }
      current = all.indexOf(focused);
    }
    return all[current] || null;
  }

  function selectCurrentIfNone() {
    if (checked().length) { return true; }
    var box = checkboxOf(currentRow());
    if (!box) { return false; }
    box.checked = true;
    updateCount();
    return true;
  }

  function bulk(action, status) {
    var list = results();
    if (!list || !selectCurrentIfNone()) { return; }
    if (status) {
      var select = list.querySelector('select[name="status"]');
      if (!select) { return; }
      select.value = status;
    }
    var button = list.querySelector('button[name="action"][value="' + action + '"]');
    // A click, not requestSubmit: htmx sends the button that was clicked as the action.
    if (button) { button.click(); }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var list = results();
    if (!list || !list.contains(target)) { return; }
    if (target.matches("[data-select-all]")) {
      list.querySelectorAll('input[type="checkbox"][name="ids"]').forEach(function (box) { box.checked = target.checked; });
    }
    updateCount();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "results") {
      current = -1;
      updateCount();
    }
  });

  var shortcuts = window.RapportShortcuts;
  if (!shortcuts) { return; }
  var group = { group: "Inbox" };
  shortcuts.register("j", "Next conversation", function () { moveTo(current + 1); }, group);
  shortcuts.register("k", "Previous conversation", function () { moveTo(current < 0 ? 0 : current - 1); }, group);
  function open(event) {
    var row = currentRow();
    var link = linkOf(row);
    // Enter on a button or another link does what it always does.
    if (!link || (event.target !== document.body && event.target !== link && event.target.closest("a, button"))) {
      return false;
    }
    window.location.assign(link.href);
  }
  shortcuts.register("Enter", "Open the conversation", open, group);
  shortcuts.register("o", "Open the conversation", open, group);
  shortcuts.register("x", "Select or unselect the conversation", function () {
    var box = checkboxOf(currentRow());
    if (box) { box.checked = !box.checked; updateCount(); }
  }, group);
  shortcuts.register("a", "Assign the selected conversations to me", function () { bulk("take"); }, group);
  shortcuts.register("e", "Resolve the selected conversations", function () { bulk("status", "resolved"); }, group);
  shortcuts.register("/", "Search", function () {
    var search = document.getElementById("inbox-search");
    if (search) { search.focus(); search.select(); }
  }, group);
})();
