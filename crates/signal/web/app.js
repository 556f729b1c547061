// Placeholder for the browser demo: connects to the signaling server that served this page,
// joins a room and logs join/leave notifications and every message that arrives.
"use strict";

const logEl = document.getElementById("log");
const statusEl = document.getElementById("status");

function log(text) {
  const line = document.createElement("div");
  line.textContent = new Date().toLocaleTimeString() + "  " + text;
  logEl.prepend(line);
}

function wsUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return scheme + "//" + location.host + "/ws";
}

let ws = null;

function join(room) {
  if (ws) ws.close();
  ws = new WebSocket(wsUrl());
  statusEl.textContent = "connecting";
  ws.onopen = () => {
    statusEl.textContent = "connected";
    ws.send(JSON.stringify({ type: "join", room }));
  };
  ws.onclose = () => { statusEl.textContent = "closed"; };
  ws.onmessage = (event) => {
    let msg;
    try { msg = JSON.parse(event.data); } catch { log("bad message: " + event.data); return; }
    switch (msg.type) {
      case "joined":
        log("joined room " + msg.room + " as " + msg.id + "; peers: " + (msg.peers.join(", ") || "none"));
        break;
      case "peer-joined": log(msg.id + " joined"); break;
      case "peer-left": log(msg.id + " left"); break;
      case "error": log("error: " + msg.reason + (msg.detail ? " (" + msg.detail + ")" : "")); break;
      default: log(msg.type + " from " + msg.from);
    }
  };
}

document.getElementById("join").addEventListener("submit", (event) => {
  event.preventDefault();
  join(document.getElementById("room").value);
});

const params = new URLSearchParams(location.search);
if (params.has("room")) {
  document.getElementById("room").value = params.get("room");
  join(params.get("room"));
}
