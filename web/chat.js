// dealcoach web chat: talks to Rasa's socket.io channel.
// Everything shown is set with textContent, never as HTML: what users and the bot
// type is displayed, not interpreted. The socket.io session id and the transcript
// live in localStorage, so a reload shows the same conversation and continues it
// (the server keeps the conversation under the same session id).
//
// Signed-in mode (the server has DEALCOACH_WEB_JWT_SECRET or _PUBLIC_KEY; config.signIn):
// the page sends the company sign-in's token with the socket.io connect, and the server
// makes every message that token's salesperson's. The token comes from the host page:
//   * window.DEALCOACH_TOKEN, set by the embedding page before this script: the token,
//     or a function returning it (or a promise of it), asked again at every (re)connect;
//   * otherwise the cookie dealcoach_token (a reverse proxy in front of the page sets it).
// The transcript kept in this browser is only shown once the server has confirmed who
// is signed in, and dropped when that is someone else (a shared computer).
//
// The deal panel (panel.js) comes on the same socket as the chat, as a bot message that
// carries {dealcoach_panel: ...} instead of text; the last one is kept like the transcript.
(function () {
  "use strict";
  var config = window.DEALCOACH || {};
  var SESSION_KEY = "dealcoach.session";
  var HISTORY_KEY = "dealcoach.history";
  var PANEL_KEY = "dealcoach.panel";
  var LANGUAGE_KEY = "dealcoach.language";
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");
  var status = document.getElementById("status");
  var TEXT = {};
  var signIn = !!config.signIn;
  var shown = !signIn;
  var sessionId = localStorage.getItem(SESSION_KEY);
  var history = [];
  try { history = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]"); } catch (e) { history = []; }

  // The page's own words (config.text: knowledge/phrases.yml and web_page.yml, by
  // language) in the salesperson's language once the server has said it (every deal
  // panel carries it; kept for the next visit), before that in the browser's.
  var STATUS_WORDS = { connecting: "connecting", connected: "connected",
                       "signed-out": "signed_out" };
  function browserLanguage() {
    var texts = config.text || {};
    var wanted = navigator.languages || [navigator.language || "en"];
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i]).slice(0, 2).toLowerCase();
      if (texts[code]) { return code; }
    }
    return "en";
  }
  function useLanguage(code) {
    var texts = config.text || {};
    if (!texts[code]) { return; }
    TEXT = texts[code];
    document.documentElement.lang = code;
    document.getElementById("intro").textContent = t("intro", document.getElementById("intro").textContent);
    var state = status.dataset.state;
    status.textContent = t(STATUS_WORDS[state] || "connecting", status.textContent);
    input.placeholder = t("placeholder", input.placeholder);
    input.setAttribute("aria-label", t("message", "Message"));
    form.querySelector("button[type=submit]").textContent = t("send", "Send");
  }
  function t(key, fallback) { return TEXT[key] || fallback; }
  useLanguage(localStorage.getItem(LANGUAGE_KEY) || browserLanguage());

  function save() { localStorage.setItem(HISTORY_KEY, JSON.stringify(history.slice(-200))); }

  function render(entry, live) {
    var item = document.createElement("li");
    item.className = entry.from;
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = entry.text;
    item.appendChild(bubble);
    if (entry.buttons && entry.buttons.length) {
      var row = document.createElement("div");
      row.className = "buttons";
      entry.buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.disabled = !live || entry.used;
        button.addEventListener("click", function () {
          entry.used = true;
          Array.prototype.forEach.call(row.children, function (c) { c.disabled = true; });
          send(b.title, b.payload);
        });
        row.appendChild(button);
      });
      item.appendChild(row);
    }
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function add(entry) {
    history.push(entry);
    save();
    render(entry, true);
  }

  var panelHandlers = {
    // "My deals": a click opens that deal's review, through the chat like a typed message.
    open: function (deal) {
      send(deal.company, "/start_review" + JSON.stringify({ company: deal.company }));
    },
    print: function () { window.print(); }
  };

  function showPanel(state, live) {
    if (state.language) {
      localStorage.setItem(LANGUAGE_KEY, state.language);
      useLanguage(state.language);
    }
    window.DealPanel.draw(state, panelHandlers);
    var kept = {};
    Object.keys(state).forEach(function (key) { kept[key] = state[key]; });
    kept.print_brief = false;  // a reload never prints again
    localStorage.setItem(PANEL_KEY, JSON.stringify(kept));
    if (live && state.print_brief) { window.print(); }
  }

  function showHistory() {
    history.forEach(function (entry, i) { render(entry, i === history.length - 1); });
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(PANEL_KEY) || "null"); } catch (e) { kept = null; }
    if (kept) { showPanel(kept, false); }
  }
  if (!signIn) { showHistory(); }

  // A line from the page itself (not the bot's): shown, never stored in the transcript.
  function notice(text) {
    var item = document.createElement("li");
    item.className = "notice";
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = text;
    item.appendChild(bubble);
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function signedOut(text) {
    status.textContent = t("signed_out", "signed out");
    status.dataset.state = "signed-out";
    input.disabled = true;
    notice(text);
  }

  function tokenFromCookie() {
    var match = document.cookie.match(/(?:^|;\s*)dealcoach_token=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // socket.io calls this at every connect and reconnect, so a refreshed token is used.
  function auth(callback) {
    if (!signIn) { callback({}); return; }
    var given = window.DEALCOACH_TOKEN;
    function handOver(value) {
      var found = (typeof value === "string" && value) || tokenFromCookie();
      callback({ token: found });
    }
    Promise.resolve(typeof given === "function" ? given() : given).then(handOver, handOver);
  }

  var socket = io(config.socketUrl || "", {
    path: "/socket.io", transports: ["polling", "websocket"], auth: auth
  });

  socket.on("connect", function () {
    socket.emit("session_request", { session_id: sessionId });
  });
  socket.on("session_confirm", function (data) {
    var confirmed = (data && data.session_id) || data;
    if (signIn) {
      // The transcript kept here is another salesperson's: not theirs to see.
      if (confirmed !== sessionId) {
        history = []; save(); log.textContent = "";
        localStorage.removeItem(PANEL_KEY);
        localStorage.removeItem(LANGUAGE_KEY);
        useLanguage(browserLanguage());
        document.getElementById("panel").hidden = true;
      }
      if (!shown) { shown = true; showHistory(); }
    }
    sessionId = confirmed;
    localStorage.setItem(SESSION_KEY, sessionId);
    input.disabled = false;
    status.textContent = t("connected", "connected");
    status.dataset.state = "connected";
  });
  // Refused at connect (no, forged, expired token): one sentence, in the page's
  // language (the server's, in English, when the page has none).
  socket.on("connect_error", function (error) {
    if (error && error.data && error.data.reason) { signedOut(t("sign_in_again", error.message)); }
  });
  // The sign-in ran out during the conversation; the server has closed the socket.
  socket.on("sign_in_required", function (data) {
    var expired = data && data.reason === "expired";
    signedOut(t(expired ? "sign_in_expired" : "sign_in_again", (data && data.message) || ""));
  });
  socket.on("disconnect", function () {
    if (status.dataset.state === "signed-out") { return; }
    status.textContent = t("reconnecting", "reconnecting…");
    status.dataset.state = "connecting";
  });
  socket.on("bot_uttered", function (message) {
    if (message && message.dealcoach_panel) { showPanel(message.dealcoach_panel, true); return; }
    var buttons = (message.quick_replies || message.buttons || []).map(function (b) {
      return { title: b.title, payload: b.payload };
    });
    add({ from: "bot", text: message.text || "", buttons: buttons });
  });

  function send(text, payload) {
    add({ from: "user", text: text });
    socket.emit("user_uttered", { message: payload, session_id: sessionId });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text, text);
  });
})();
