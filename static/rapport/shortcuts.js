// Keyboard shortcuts for every page, and the help overlay that lists them ("?").
//
//   window.RapportShortcuts.register(keys, description, handler, options)
//
// keys: one key ("j", "/", "Enter", "Escape", "?") or a sequence separated by spaces ("g i"),
// optionally with modifiers ("Ctrl+Enter", "Meta+Enter"). handler(event) runs when they are pressed;
// return false from it to let the browser handle the key as well. options.group names the heading
// on the help overlay (default "General"); options.inInputs lets the shortcut fire while typing in
// a field (for modified keys such as "Ctrl+Enter" in a composer). Single letters are ignored while
// the focus is in a text field, so typing is never taken for a command.
(function () {
  "use strict";

  if (window.RapportShortcuts) {
    return; // Loaded twice (base layout and a page): one registry is enough.
  }

  var SEQUENCE_TIMEOUT_MS = 1200;
  var shortcuts = [];
  var pending = [];
  var pendingTimer = null;
  var overlay = null;

  function normaliseKey(key) {
    var parts = key.split("+");
    var name = parts.pop();
    if (name === "") {
      name = "+";
      parts.pop();
    }
    var mods = parts.map(function (m) { return m.toLowerCase(); }).sort();
    return (mods.length ? mods.join("+") + "+" : "") + (name.length === 1 ? name : name.toLowerCase());
  }

  function eventKey(event) {
    var mods = [];
    if (event.altKey) { mods.push("alt"); }
    if (event.ctrlKey) { mods.push("ctrl"); }
    if (event.metaKey) { mods.push("meta"); }
    // Shift is part of the character for printable keys ("?" is Shift+/); name it only for others.
    var name = event.key.length === 1 ? event.key : event.key.toLowerCase();
    if (event.shiftKey && event.key.length !== 1) { mods.push("shift"); }
    mods.sort();
    return (mods.length ? mods.join("+") + "+" : "") + name;
  }

  function isTyping(target) {
    if (!target || !target.tagName) { return false; }
    if (target.isContentEditable) { return true; }
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select") { return true; }
    if (tag !== "input") { return false; }
    var type = (target.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].indexOf(type) === -1;
  }

  function register(keys, description, handler, options) {
    var opts = options || {};
    var sequence = String(keys).trim().split(/\s+/).map(normaliseKey);
    var entry = {
      keys: String(keys),
      sequence: sequence,
      description: String(description),
      handler: handler,
      group: opts.group || "General",
      inInputs: Boolean(opts.inInputs),
    };
    // The same keys registered again (a fragment loaded twice) replace the earlier entry.
    shortcuts = shortcuts.filter(function (s) { return s.sequence.join(" ") !== sequence.join(" "); });
    shortcuts.push(entry);
    if (overlay) { renderOverlay(); }
    return entry;
  }

  function unregister(keys) {
    var sequence = String(keys).trim().split(/\s+/).map(normaliseKey).join(" ");
    shortcuts = shortcuts.filter(function (s) { return s.sequence.join(" ") !== sequence; });
  }

  function resetPending() {
    pending = [];
    if (pendingTimer) { clearTimeout(pendingTimer); pendingTimer = null; }
  }

  function onKeydown(event) {
    if (event.defaultPrevented || event.isComposing) { return; }
    if (["Shift", "Control", "Alt", "Meta"].indexOf(event.key) !== -1) { return; }
    var typing = isTyping(event.target);
    var key = eventKey(event);
    var candidate = pending.concat([key]);
    var exact = null;
    var prefix = false;
    shortcuts.forEach(function (s) {
      if (typing && !s.inInputs) { return; }
      if (s.sequence.length < candidate.length) { return; }
      for (var i = 0; i < candidate.length; i++) {
        if (s.sequence[i] !== candidate[i]) { return; }
      }
      if (s.sequence.length === candidate.length) { exact = s; } else { prefix = true; }
    });
    if (exact) {
      resetPending();
      if (exact.handler(event) !== false) { event.preventDefault(); }
      return;
    }
    if (prefix) {
      pending = candidate;
      if (pendingTimer) { clearTimeout(pendingTimer); }
      pendingTimer = setTimeout(resetPending, SEQUENCE_TIMEOUT_MS);
      event.preventDefault();
      return;
    }
    resetPending();
  }

  function label(keys) {
    var wrap = document.createElement("span");
    String(keys).trim().split(/\s+/).forEach(function (step, index) {
      if (index > 0) { wrap.appendChild(document.createTextNode(" then ")); }
      var kbd = document.createElement("kbd");
      kbd.textContent = step;
      wrap.appendChild(kbd);
    });
    return wrap;
  }

  function renderOverlay() {
    var body = overlay.querySelector(".shortcuts-body");
    body.textContent = "";
    var groups = {};
    var order = [];
    shortcuts.forEach(function (s) {
      if (!groups[s.group]) { groups[s.group] = []; order.push(s.group); }
      groups[s.group].push(s);
    });
    order.forEach(function (group) {
      var heading = document.createElement("h3");
      heading.textContent = group;
      body.appendChild(heading);
      var list = document.createElement("dl");
      list.className = "shortcuts-list";
      groups[group].forEach(function (s) {
        var dt = document.createElement("dt");
        dt.appendChild(label(s.keys));
        var dd = document.createElement("dd");
        dd.textContent = s.description;
        list.appendChild(dt);
        list.appendChild(dd);
      });
      body.appendChild(list);
    });
  }

  function buildOverlay() {
    overlay = document.createElement("dialog");
    overlay.className = "shortcuts-help";
    overlay.setAttribute("aria-labelledby", "shortcuts-title");
    var head = document.createElement("div");
    head.className = "shortcuts-head";
    var title = document.createElement("h2");
    title.id = "shortcuts-title";
    title.textContent = "Keyboard shortcuts";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "small";
    close.textContent = "Close";
    close.addEventListener("click", function () { overlay.close(); });
    head.appendChild(title);
    head.appendChild(close);
    var body = document.createElement("div");
    body.className = "shortcuts-body";
    overlay.appendChild(head);
    overlay.appendChild(body);
    overlay.addEventListener("click", function (event) {
      if (event.target === overlay) { overlay.close(); } // a click on the backdrop
    });
    document.body.appendChild(overlay);
  }

  function toggleHelp() {
    if (!overlay) { buildOverlay(); }
    if (overlay.open) {
      overlay.close();
      return;
    }
    renderOverlay();
    if (typeof overlay.showModal === "function") { overlay.showModal(); } else { overlay.setAttribute("open", ""); }
  }

  window.RapportShortcuts = {
    register: register,
    unregister: unregister,
    list: function () {
      return shortcuts.map(function (s) { return { keys: s.keys, description: s.description, group: s.group }; });
    },
    showHelp: toggleHelp,
  };

  register("?", "Show or hide this list of shortcuts", toggleHelp);

  // "g then i" goes to the inbox from any page, for people who may see it (the layout says where).
  var script = document.currentScript;
  var inboxUrl = script && script.getAttribute("data-inbox-url");
  if (inboxUrl) {
    register("g i", "Go to the inbox", function () { window.location.assign(inboxUrl); }, { group: "Go to" });
  }

  document.addEventListener("keydown", onKeydown);
})();
