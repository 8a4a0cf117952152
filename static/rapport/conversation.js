// The conversation page: composer tabs and shortcuts, macros into the draft, "typing" pings for the
// collision warning, confirmations, and leaving. No inline script, so the CSP holds; the page works
// without this file (forms post and come back), this only makes it quicker.
(function () {
  "use strict";

  var TYPING_PING_MS = 4000;
  var lastTypingPing = 0;

  function byId(id) { return document.getElementById(id); }

  function composerForm() { return byId("composer"); }

  function body() { return byId("composer-body"); }

  function chooseKind(kind) {
    var form = composerForm();
    if (!form) { return false; }
    var radio = form.querySelector('input[name="kind"][value="' + kind + '"]');
    if (radio) {
      radio.checked = true;
      updatePlaceholder();
    }
    var text = body();
    if (text) { text.focus(); }
    return true;
  }

  function updatePlaceholder() {
    var form = composerForm();
    var text = body();
    if (!form || !text) { return; }
    var note = form.querySelector('input[name="kind"][value="note"]');
    text.placeholder = note && note.checked ? "Write an internal note (only staff see it)…" : "Write a reply…";
  }

  function send() {
    var form = composerForm();
    if (!form) { return; }
    var note = form.querySelector('input[name="kind"][value="note"]');
    var button = form.querySelector(note && note.checked ? "[data-note-default]" : "[data-send-default]");
    // requestSubmit keeps the clicked button's name and value, and lets htmx take the submission.
    if (typeof form.requestSubmit === "function") { form.requestSubmit(button || undefined); } else if (button) { button.click(); }
  }

  function openMacros() {
    var picker = byId("macro-picker");
    if (!picker) { return; }
    picker.open = true;
    var first = picker.querySelector("a, button");
    if (first) { first.focus(); }
  }

  function insertIntoDraft(text) {
    var area = body();
    if (!area) { return; }
    if (!area.value.trim()) {
      area.value = text;
    } else {
      var start = area.selectionStart || 0;
      var end = area.selectionEnd || 0;
      area.value = area.value.slice(0, start) + text + area.value.slice(end);
    }
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // A macro's text arrives in the slot under the tabs; it goes into the draft, the slot keeps the
  // macro's id (its actions run when the message is sent) and what it will do.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "macro-slot") {
      var source = target.querySelector("[data-macro-text]");
      if (source) {
        insertIntoDraft(source.value);
        source.remove();
      }
      var picker = byId("macro-picker");
      if (picker) { picker.open = false; }
    }
    if (target && target.id === "composer-section") { updatePlaceholder(); }
  });

  document.addEventListener("click", function (event) {
    var clear = event.target.closest && event.target.closest("[data-macro-clear]");
    if (clear && byId("macro-slot")) {
      event.preventDefault();
      byId("macro-slot").textContent = "";
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "kind") { updatePlaceholder(); }
  });

  // Others see "… is typing a reply" from these pings; one every few seconds while keys are pressed.
  document.addEventListener("input", function (event) {
    if (!event.target || event.target.id !== "composer-body" || !event.isTrusted) { return; }
    var now = Date.now();
    if (now - lastTypingPing < TYPING_PING_MS) { return; }
    lastTypingPing = now;
    var ping = byId("typing-ping");
    if (ping && window.htmx) { window.htmx.trigger(ping, "typing"); }
  });

  // The presence pings say how many messages the thread shows; on a live chat the answer brings the
  // thread again when it holds more.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || (elt.id !== "collision" && elt.id !== "typing-ping")) { return; }
    var thread = byId("thread");
    if (thread && thread.hasAttribute("data-message-count")) {
      event.detail.parameters.shown = thread.getAttribute("data-message-count");
    }
  });

  // Forms that move messages between conversations ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Closing the page takes the person off the warning at once instead of after the time-out.
  window.addEventListener("pagehide", function () {
    var page = byId("conversation");
    if (!page || !navigator.sendBeacon) { return; }
    var data = new FormData();
    data.append("csrfmiddlewaretoken", page.getAttribute("data-csrf"));
    navigator.sendBeacon(page.getAttribute("data-leave-url"), data);
  });

  function registerShortcuts() {
    var keys = window.RapportShortcuts;
    if (!keys || !composerForm()) { return; }
    var group = { group: "Conversation" };
    keys.register("r", "Write a reply", function () { chooseKind("outbound"); }, group);
    keys.register("n", "Write an internal note", function () { chooseKind("note"); }, group);
    keys.register("m", "Open the macros", openMacros, group);
    keys.register("Ctrl+Enter", "Send the reply or note", send, { group: "Conversation", inInputs: true });
    keys.register("Meta+Enter", "Send the reply or note (Mac)", send, { group: "Conversation", inInputs: true });
    keys.register("Escape", "Leave the composer", function (event) {
      var section = byId("composer-section");
      var inComposer = section && event.target && section.contains(event.target);
      // Elsewhere (the help overlay, a dialog) Escape keeps its usual meaning.
      if (!inComposer) { return false; }
      if (event.target.blur) { event.target.blur(); }
      var picker = byId("macro-picker");
      if (picker) { picker.open = false; }
    }, { group: "Conversation", inInputs: true });
  }

  function start() {
    updatePlaceholder();
    registerShortcuts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
