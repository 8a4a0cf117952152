// Rapport's help widget. One tag on any site:
//   <script src="https://rapport.example/channels/widget/KEY.js" async></script>
// shows a help button; opened, it has the phone number and opening hours in plain sight, live chat,
// a contact form and "call me back". Plain JavaScript without a build step. It draws inside a Shadow
// DOM, so the host page's CSS cannot reach it, and it stays within a strict Content-Security-Policy:
// no inline script or style attributes, no eval, text always set with textContent.
(function () {
  "use strict";

  var script = document.currentScript;
  var found = script && /^(https?:\/\/[^/]+(?:\/[^?#]*)?)\/widget\/([A-Za-z0-9_-]+)\.js(?:[?#].*)?$/.exec(script.src);
  if (!found || window["__rapportWidget_" + found[2]]) { return; }
  window["__rapportWidget_" + found[2]] = true;

  var KEY = found[2];
  var BASE = found[1] + "/widget/" + KEY + "/";
  var STORE = "rapport-widget:" + KEY;
  var POLL_OPEN_MS = 500;       // chat on screen: replies show within about half a second
  var POLL_IDLE_MS = 3000;      // widget closed or another tab on top: unread replies still counted
  var POLL_HIDDEN_MS = 5000;    // page in the background (browsers slow it further by themselves)
  var TYPING_EVERY_MS = 3000;
  var TYPING_STOP_MS = 4000;
  var RETRIES = [1000, 2000, 4000];

  var CSS = [
    ":host { all: initial; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    "[hidden] { display: none !important; }",
    ".root { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1f2937; }",
    ".launcher { display: inline-flex; align-items: center; gap: .4em; border: 0; border-radius: 999px; padding: .75em 1.2em; background: #1d4ed8; color: #fff; font: inherit; font-weight: 600; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); }",
    ".launcher:focus-visible, button:focus-visible, a:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }",
    ".badge { background: #dc2626; color: #fff; border-radius: 999px; padding: 0 .45em; font-size: .8em; }",
    ".panel { position: absolute; right: 0; bottom: 3.6em; width: min(370px, calc(100vw - 40px)); max-height: min(620px, calc(100vh - 100px)); display: flex; flex-direction: column; background: #fff; border-radius: 12px; box-shadow: 0 10px 40px rgba(0,0,0,.3); overflow: hidden; }",
    ".head { background: #1d4ed8; color: #fff; padding: .8em 1em; display: flex; align-items: flex-start; justify-content: space-between; gap: .5em; }",
    ".head h2 { margin: 0; font-size: 1.05em; }",
    ".head p { margin: .15em 0 0; font-size: .85em; opacity: .95; }",
    ".close { background: transparent; border: 0; color: #fff; font: inherit; font-size: 1.4em; line-height: 1; cursor: pointer; padding: 0 .2em; }",
    ".body { padding: 1em; overflow-y: auto; flex: 1; }",
    ".phone { display: block; font-size: 1.35em; font-weight: 700; color: #1d4ed8; text-decoration: none; margin: .1em 0 .4em; }",
    ".label { font-size: .8em; text-transform: uppercase; letter-spacing: .04em; color: #6b7280; margin: .8em 0 .2em; }",
    "table { border-collapse: collapse; width: 100%; font-size: .9em; }",
    "th { text-align: left; font-weight: 500; padding: .1em .6em .1em 0; color: #374151; }",
    "td { padding: .1em 0; }",
    ".muted { color: #6b7280; font-size: .85em; }",
    ".open { color: #047857; font-weight: 600; }",
    ".actions { display: grid; gap: .5em; margin-top: 1em; }",
    "button.primary, button.choice { font: inherit; border-radius: 8px; padding: .6em .9em; cursor: pointer; }",
    "button.primary { background: #1d4ed8; color: #fff; border: 0; font-weight: 600; }",
    "button.primary[disabled] { opacity: .6; cursor: default; }",
    "button.choice { background: #eff6ff; color: #1e3a8a; border: 1px solid #bfdbfe; text-align: left; }",
    "button.back { background: none; border: 0; color: #1d4ed8; font: inherit; cursor: pointer; padding: 0; margin-bottom: .6em; }",
    "form { display: grid; gap: .55em; }",
    "label { display: grid; gap: .2em; font-size: .9em; }",
    "input, textarea, select { font: inherit; color: inherit; background: #fff; border: 1px solid #d1d5db; border-radius: 6px; padding: .45em .55em; width: 100%; }",
    "textarea { min-height: 4.5em; resize: vertical; }",
    ".hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }",
    ".error { color: #b91c1c; font-size: .85em; margin: 0; }",
    ".done { background: #ecfdf5; color: #065f46; border-radius: 8px; padding: .7em .8em; }",
    ".log { list-style: none; margin: 0 0 .6em; padding: 0; display: grid; gap: .45em; }",
    ".msg { max-width: 85%; padding: .45em .7em; border-radius: 10px; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".msg.visitor { justify-self: end; background: #1d4ed8; color: #fff; }",
    ".msg.agent { justify-self: start; background: #f3f4f6; }",
    ".msg .who { display: block; font-size: .75em; font-weight: 600; color: #4b5563; }",
    ".msg.pending { opacity: .7; }",
    ".msg.failed { background: #fee2e2; color: #7f1d1d; }",
    ".typing { min-height: 1.3em; margin: 0 0 .4em; font-size: .85em; color: #6b7280; font-style: italic; }",
    ".row { display: flex; gap: .4em; align-items: flex-end; }",
    ".row textarea { min-height: 2.6em; }"
  ].join("\n");

  // ---- small helpers ---------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === false || value === null || value === undefined) { return; }
      if (name === "text") { node.textContent = value; } else { node.setAttribute(name, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE) || "{}") || {}; } catch (e) { return {}; }
  }

  function save() {
    try { window.localStorage.setItem(STORE, JSON.stringify({ token: state.token })); } catch (e) { /* private mode */ }
  }

  function identity() {
    var given = window.RapportIdentity;
    if (given && given.email && given.signature) { return given; }
    var data = script.dataset || {};
    if (data.email && data.signature) { return { email: data.email, expires: data.expires, signature: data.signature }; }
    return null;
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // ---- talking to Rapport ----------------------------------------------------------------------

  function request(path, method, body) {
    var options = { method: method, mode: "cors", credentials: "omit", headers: {} };
    if (method !== "GET") {
      options.headers["Content-Type"] = "application/json";
      if (state.token) { options.headers["X-Rapport-Visitor"] = state.token; }
      options.body = JSON.stringify(body || {});
    }
    return fetch(BASE + path, options).then(function (response) {
      if (response.status === 204) { return { status: 204, data: {} }; }
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data, retryAfter: Number(response.headers.get("Retry-After") || 0) };
      });
    });
  }

  function ensureVisitor(force) {
    if (state.token && !force) { return Promise.resolve(); }
    if (force) { state.token = ""; }
    var who = identity();
    return request("session/", "POST", who ? { identity: who } : {}).then(function (answer) {
      if (answer.data && answer.data.token) { state.token = answer.data.token; save(); }
      if (answer.data && answer.data.visitor) { state.visitor = answer.data.visitor; }
      if (answer.status >= 400) { throw answer; }
      return answer;
    });
  }

  // A write with its client id: retried on network errors and as a new visitor if the token is
  // unknown; the same id makes every retry one message on Rapport's side.
  function write(path, body) {
    var attempt = 0;
    function go() {
      return ensureVisitor(false).then(function () { return request(path, "POST", body); }).then(function (answer) {
        if (answer.status === 401 && attempt === 0) {
          attempt += 1;
          return ensureVisitor(true).then(go);
        }
        if (answer.status === 429 && attempt < RETRIES.length) {
          attempt += 1;
          return wait(Math.max(answer.retryAfter, 1) * 1000).then(go);
        }
        return answer;
      }, function (error) {
        if (attempt >= RETRIES.length) { throw error; }
        return wait(RETRIES[attempt++]).then(go);
      });
    }
    return go();
  }

  // ---- state and drawing -----------------------------------------------------------------------

  var state = {
    token: load().token || "",
    visitor: null,
    config: null,
    open: false,
    view: "home",
    chatActive: false,
    chatEnded: false,
    cursor: 0,
    rendered: {},
    pending: {},
    historyLoaded: false,
    lastProblem: "",
    unread: 0,
    polling: false,
    pollTimer: 0,
    lastTyping: 0,
    typingTimer: 0
  };

  var host = el("div", { "data-rapport-widget": KEY });
  var root = host.attachShadow({ mode: "open" });
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el("style", { text: CSS }));
  }

  var badge = el("span", { "class": "badge", hidden: true });
  var launcher = el("button", { type: "button", "class": "launcher", "aria-expanded": "false", "aria-controls": "rapport-panel" },
    [el("span", { text: "Help" }), badge]);
  var title = el("h2", { id: "rapport-title", text: "Help" });
  var status = el("p", {});
  var close = el("button", { type: "button", "class": "close", "aria-label": "Close help", text: "×" });
  var body = el("div", { "class": "body" });
  var panel = el("section", { id: "rapport-panel", "class": "panel", role: "dialog", "aria-labelledby": "rapport-title", hidden: true },
    [el("div", { "class": "head" }, [el("div", {}, [title, status]), close]), body]);
  var container = el("div", { "class": "root" }, [panel, launcher]);
  root.appendChild(container);

  // Chat parts live across redraws so the log and the draft survive switching views.
  var log = el("ol", { "class": "log", "aria-live": "polite", "aria-label": "Chat" });
  var typingLine = el("p", { "class": "typing", "aria-live": "polite" });

  function setOpen(open) {
    state.open = open;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      state.unread = 0;
      drawBadge();
      if (!state.config) { loadConfig(); }
      draw();
      var first = body.querySelector("button, a, input, textarea, select");
      if (first) { first.focus(); }
    } else {
      launcher.focus();
    }
    schedulePoll();
  }

  function drawBadge() {
    badge.hidden = state.unread === 0;
    badge.textContent = String(state.unread);
  }

  function loadConfig() {
    return request("config/", "GET").then(function (answer) {
      if (answer.status !== 200) { return; }
      state.config = answer.data;
      title.textContent = answer.data.name || "Help";
      draw();
    }).catch(function () { /* shown as "could not load" below */ });
  }

  function hoursStatus(config) {
    if (config.hours.open_now) { return "We’re open now"; }
    if (!config.hours.next_open) { return "We’re closed now"; }
    var next = new Date(config.hours.next_open);
    return "We’re closed now · we open " + next.toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
  }

  function show(view) {
    state.view = view;
    draw();
    var first = body.querySelector("input:not([tabindex='-1']), textarea, select, button.primary");
    if (first && view !== "home") { first.focus(); }
    schedulePoll();
  }

  function backButton() {
    var back = el("button", { type: "button", "class": "back", text: "← Back" });
    back.addEventListener("click", function () { show("home"); });
    return back;
  }

  function draw() {
    var config = state.config;
    status.textContent = config ? hoursStatus(config) : "";
    body.textContent = "";
    if (!config) {
      body.appendChild(el("p", { "class": "muted", text: "Loading…" }));
      return;
    }
    if (state.view === "chat") { return drawChat(); }
    if (state.view === "contact") { return drawContact(); }
    if (state.view === "callback") { return drawCallback(); }
    drawHome(config);
  }

  function drawHome(config) {
    if (config.phone) {
      body.appendChild(el("p", { "class": "label", text: "Call us" }));
      body.appendChild(el("a", { "class": "phone", href: config.phone.href, text: config.phone.display }));
    }
    body.appendChild(el("p", { "class": "label", text: "Opening hours" }));
    var rows = config.hours.days.map(function (day) {
      return el("tr", {}, [el("th", { scope: "row", text: day.day }), el("td", { text: day.hours })]);
    });
    body.appendChild(el("table", {}, [el("tbody", {}, rows)]));
    body.appendChild(el("p", { "class": config.hours.open_now ? "open" : "muted", text: hoursStatus(config) + " (times in " + config.hours.time_zone + ")" }));
    var chat = el("button", { type: "button", "class": "choice", text: state.chatActive ? "Continue the chat" : "Chat with us" });
    var contact = el("button", { type: "button", "class": "choice", text: "Send us a message" });
    var callback = el("button", { type: "button", "class": "choice", text: "Call me back" });
    chat.addEventListener("click", function () { show("chat"); });
    contact.addEventListener("click", function () { show("contact"); });
    callback.addEventListener("click", function () { show("callback"); });
    body.appendChild(el("div", { "class": "actions" }, [chat, contact, callback]));
  }

  function field(label, input) { return el("label", {}, [el("span", { text: label }), input]); }

  function honeypot() {
    // People never see or reach this field; robots that fill every field give themselves away.
    return el("div", { "class": "hp", "aria-hidden": "true" }, [
      el("label", {}, [el("span", { text: "Leave this empty" }), el("input", { name: "website", tabindex: "-1", autocomplete: "off" })])
    ]);
  }

  function formError(form, text) {
    var slot = form.querySelector(".error");
    if (!slot) { slot = el("p", { "class": "error", role: "alert" }); form.appendChild(slot); }
    slot.textContent = text;
  }

  function problem(answer) {
    if (answer && answer.data && answer.data.detail) { return answer.data.detail.charAt(0).toUpperCase() + answer.data.detail.slice(1) + "."; }
    return "That did not go through. Check your connection and try again.";
  }

  // ---- chat --------------------------------------------------------------------------------------

  function drawChat() {
    body.appendChild(backButton());
    var verified = state.visitor && state.visitor.verified;
    if (!state.chatActive) {
      var name = el("input", { name: "name", autocomplete: "name", maxlength: "200" });
      var email = el("input", { name: "email", type: "email", autocomplete: "email", maxlength: "254" });
      var text = el("textarea", { name: "text", required: true, maxlength: String(state.config.limits.text) });
      var start = el("button", { type: "submit", "class": "primary", text: "Start chat" });
      var form = el("form", { novalidate: true }, [
        state.chatEnded ? el("p", { "class": "muted", text: "The last chat has ended. Write again to start a new one." }) : null,
        verified ? null : field("Your name (optional)", name),
        verified ? null : field("Email (optional, so we can answer if you leave)", email),
        field("Your message", text),
        honeypot(),
        start
      ]);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!text.value.trim()) { return formError(form, "Write a message first."); }
        start.disabled = true;
        sendChat("chat/start/", text.value, {
          name: verified ? "" : name.value, email: verified ? "" : email.value, website: form.elements.website.value
        }).then(function (ok) {
          start.disabled = false;
          if (ok) { state.chatActive = true; state.chatEnded = false; show("chat"); } else { formError(form, state.lastProblem); }
        });
      });
      body.appendChild(form);
      return;
    }
    body.appendChild(log);
    body.appendChild(typingLine);
    var draft = el("textarea", { name: "text", "aria-label": "Your message", maxlength: String(state.config.limits.text), placeholder: "Write a message…" });
    var send = el("button", { type: "submit", "class": "primary", text: "Send" });
    var chatForm = el("form", { novalidate: true }, [el("div", { "class": "row" }, [draft, send])]);
    draft.addEventListener("input", typed);
    draft.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); chatForm.requestSubmit ? chatForm.requestSubmit() : send.click(); }
    });
    chatForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = draft.value;
      if (!value.trim()) { return; }
      draft.value = "";
      sendChat("chat/send/", value, {}).then(function (ok) {
        if (!ok && state.lastProblem) { formError(chatForm, state.lastProblem); }
      });
    });
    body.appendChild(chatForm);
    log.lastElementChild && log.lastElementChild.scrollIntoView({ block: "end" });
    draft.focus();
  }

  function bubble(kind, author, text) {
    var item = el("li", { "class": "msg " + kind });
    if (author) { item.appendChild(el("span", { "class": "who", text: author })); }
    item.appendChild(document.createTextNode(text));
    log.appendChild(item);
    item.scrollIntoView && item.scrollIntoView({ block: "end" });
    return item;
  }

  function sendChat(path, text, extra) {
    var id = uuid();
    var item = bubble("visitor pending", "", text.trim());
    state.pending[id] = item;
    stopTyping();
    var payload = { id: id, text: text, name: extra.name || "", email: extra.email || "", website: extra.website || "" };
    return write(path, payload).then(function (answer) {
      if (answer.status === 409 && path === "chat/send/") {
        // The chat was closed on the desk meanwhile: this message starts a new one.
        return write("chat/start/", payload);
      }
      return answer;
    }).then(function (answer) {
      if (answer.status === 202) {
        item.classList.remove("pending");
        var message = answer.data.message;
        if (message) { state.rendered[message.id] = true; }
        delete state.pending[id];
        state.chatActive = true;
        schedulePoll();
        return true;
      }
      item.classList.add("failed");
      state.lastProblem = problem(answer);
      if (path === "chat/start/") { item.remove(); }
      return false;
    }, function () {
      item.classList.add("failed");
      state.lastProblem = problem(null);
      if (path === "chat/start/") { item.remove(); }
      return false;
    });
  }

  function typed() {
    var now = Date.now();
    if (now - state.lastTyping > TYPING_EVERY_MS) {
      state.lastTyping = now;
      request("chat/typing/", "POST", { typing: true }).catch(function () {});
    }
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(stopTyping, TYPING_STOP_MS);
  }

  function stopTyping() {
    clearTimeout(state.typingTimer);
    if (state.lastTyping) {
      state.lastTyping = 0;
      request("chat/typing/", "POST", { typing: false }).catch(function () {});
    }
  }

  function received(messages) {
    messages.forEach(function (message) {
      if (state.rendered[message.id]) { return; }
      state.rendered[message.id] = true;
      if (message.from === "visitor") {
        var mine = state.pending[message.client_id];
        if (mine) { mine.classList.remove("pending"); delete state.pending[message.client_id]; return; }
        bubble("visitor", "", message.text);
        return;
      }
      bubble("agent", message.author, message.text);
      // A returning visitor's history is not news; replies that arrive while they look away are.
      if (state.historyLoaded && (!state.open || state.view !== "chat")) { state.unread += 1; drawBadge(); }
    });
  }

  function pollDelay() {
    if (document.hidden) { return POLL_HIDDEN_MS; }
    return state.open && state.view === "chat" ? POLL_OPEN_MS : POLL_IDLE_MS;
  }

  function schedulePoll() {
    clearTimeout(state.pollTimer);
    if (!state.chatActive || !state.token || state.polling) { return; }
    state.pollTimer = setTimeout(poll, pollDelay());
  }

  function poll() {
    if (state.polling) { return; }
    state.polling = true;
    request("chat/poll/", "POST", { after: state.cursor }).then(function (answer) {
      if (answer.status === 401) { state.token = ""; state.chatActive = false; save(); return; }
      if (answer.status !== 200) { return; }
      received(answer.data.messages || []);
      state.historyLoaded = true;
      state.cursor = answer.data.cursor || state.cursor;
      typingLine.textContent = answer.data.agent_typing ? answer.data.agent_typing + " is typing…" : "";
      if (!answer.data.chat_open && state.chatActive) {
        state.chatActive = false;
        state.chatEnded = true;
        if (state.open && state.view === "chat") { draw(); }
      }
    }).catch(function () { /* the next poll tries again */ }).then(function () {
      state.polling = false;
      schedulePoll();
    });
  }

  // ---- contact form and call-back ------------------------------------------------------------------

  function done(text) {
    body.textContent = "";
    body.appendChild(backButton());
    body.appendChild(el("p", { "class": "done", role: "status", text: text }));
  }

  function drawContact() {
    body.appendChild(backButton());
    var name = el("input", { name: "name", autocomplete: "name", maxlength: "200" });
    var email = el("input", { name: "email", type: "email", autocomplete: "email", required: true, maxlength: "254" });
    var message = el("textarea", { name: "message", required: true, maxlength: String(state.config.limits.text) });
    var submit = el("button", { type: "submit", "class": "primary", text: "Send message" });
    var form = el("form", { novalidate: true }, [
      field("Your name", name), field("Email", email), field("Message", message), honeypot(), submit
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!email.value.trim() || !message.value.trim()) { return formError(form, "Give your email and a message."); }
      submit.disabled = true;
      write("contact/", {
        id: uuid(), name: name.value, email: email.value, message: message.value, website: form.elements.website.value
      }).then(function (answer) {
        submit.disabled = false;
        if (answer.status === 202) { return done("Thank you. We’ll answer by email at " + email.value.trim() + "."); }
        formError(form, problem(answer));
      }, function () { submit.disabled = false; formError(form, problem(null)); });
    });
    body.appendChild(form);
  }

  function drawCallback() {
    body.appendChild(backButton());
    var windows = state.config.callback_windows || [];
    if (!windows.length) {
      body.appendChild(el("p", { "class": "muted", text: "No call-back times are free in the next days. Send us a message instead." }));
      return;
    }
    var number = el("input", { name: "number", type: "tel", autocomplete: "tel", required: true, maxlength: "40" });
    var choice = el("select", { name: "window", required: true });
    var groups = {};
    windows.forEach(function (item) {
      if (!groups[item.day]) { groups[item.day] = el("optgroup", { label: item.day }); choice.appendChild(groups[item.day]); }
      groups[item.day].appendChild(el("option", { value: item.key, text: item.day + ", " + item.label }));
    });
    var name = el("input", { name: "name", autocomplete: "name", maxlength: "200" });
    var note = el("textarea", { name: "note", maxlength: String(state.config.limits.text) });
    var submit = el("button", { type: "submit", "class": "primary", text: "Call me back" });
    var form = el("form", { novalidate: true }, [
      field("Your phone number", number), field("When suits you (" + state.config.hours.time_zone + ")", choice),
      field("Your name (optional)", name), field("What is it about? (optional)", note), honeypot(), submit
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!number.value.trim()) { return formError(form, "Give the number we should call."); }
      submit.disabled = true;
      var picked = choice.options[choice.selectedIndex];
      write("callback/", {
        id: uuid(), number: number.value, window: choice.value, name: name.value, note: note.value,
        website: form.elements.website.value
      }).then(function (answer) {
        submit.disabled = false;
        if (answer.status === 202) { return done("Thank you. We’ll call " + number.value.trim() + " " + picked.textContent + "."); }
        formError(form, problem(answer));
      }, function () { submit.disabled = false; formError(form, problem(null)); });
    });
    body.appendChild(form);
  }

  // ---- wiring ------------------------------------------------------------------------------------

  launcher.addEventListener("click", function () { setOpen(!state.open); });
  close.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") { setOpen(false); } });
  document.addEventListener("visibilitychange", schedulePoll);

  function start() {
    document.body.appendChild(host);
    if (state.token) {
      // A returning visitor: pick the chat up where it was (and refresh who the host says they are).
      request("session/", "POST", identity() ? { identity: identity() } : {}).then(function (answer) {
        if (answer.data && answer.data.token) { state.token = answer.data.token; save(); }
        if (answer.data && answer.data.visitor) {
          state.visitor = answer.data.visitor;
          state.chatActive = !!answer.data.visitor.chat_open;
          if (state.chatActive) { poll(); }
        }
      }).catch(function () {});
    }
  }

  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
