// dealcoach web chat: talks to Rasa's socket.io channel.
// Everything shown is set with textContent, never as HTML: what users and the bot
// type is displayed, not interpreted. The socket.io session id and the transcript
// live in localStorage, so a reload shows the same conversation and continues it
// (the server keeps the conversation under the same session id).
(function () {
  "use strict";
  var config = window.DEALCOACH || {};
  var SESSION_KEY = "dealcoach.session";
  var HISTORY_KEY = "dealcoach.history";
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");
  var status = document.getElementById("status");
  var sessionId = localStorage.getItem(SESSION_KEY);
  var history = [];
  try { history = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]"); } catch (e) { history = []; }

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

  history.forEach(function (entry, i) { render(entry, i === history.length - 1); });

  var socket = io(config.socketUrl || "", { path: "/socket.io", transports: ["polling", "websocket"] });

  socket.on("connect", function () {
    socket.emit("session_request", { session_id: sessionId });
  });
  socket.on("session_confirm", function (data) {
    sessionId = (data && data.session_id) || data;
    localStorage.setItem(SESSION_KEY, sessionId);
    status.textContent = "connected";
    status.dataset.state = "connected";
  });
  socket.on("disconnect", function () {
    status.textContent = "reconnecting…";
    status.dataset.state = "connecting";
  });
  socket.on("bot_uttered", function (message) {
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
