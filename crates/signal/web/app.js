// The browser side of the nutshell demo: join a room on the signaling server that served
// this page, then call another member (another tab, or `nutshell-demo --role b`, which
// echoes what it receives) or answer its call. Shows the connection states and getStats()
// every second. Plain JavaScript, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const iceServers = params.has("stun") ? [{ urls: "stun:" + params.get("stun") }] : [];

let ws = null;          // the signaling WebSocket
let myId = null;        // our id in the room
let members = [];       // the other members' ids
let pc = null;          // the RTCPeerConnection of the current call
let peer = null;        // the id of the member we are in a call with
let localStream = null;
let pendingCandidates = []; // remote candidates that came before the remote description
let statsTimer = null;
let lastStats = new Map();  // report id -> {bytes, timestamp} for bit rates
const started = performance.now();

function log(text) {
  const line = document.createElement("div");
  const t = ((performance.now() - started) / 1000).toFixed(3).padStart(8);
  line.textContent = t + " s  " + text;
  $("log").prepend(line);
  console.log("nutshell-demo page: " + text);
}

function setState(id, value) {
  const el = $(id);
  el.textContent = value;
  el.className = "state " + value;
}

function send(msg) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

function showMembers() {
  $("members").textContent = members.length ? members.join(", ") : "nobody yet";
  $("call").disabled = !(members.length && !pc);
}

// ----- signaling ------------------------------------------------------------------------

function wsUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return scheme + "//" + location.host + "/ws";
}

function join(room) {
  if (ws) ws.close();
  hangUp(false);
  ws = new WebSocket(wsUrl());
  setState("ws-state", "connecting");
  ws.onopen = () => {
    setState("ws-state", "open");
    send({ type: "join", room });
  };
  ws.onclose = () => {
    setState("ws-state", "closed");
    $("call").disabled = true;
  };
  ws.onmessage = (event) => {
    let msg;
    try { msg = JSON.parse(event.data); } catch { log("bad message: " + event.data); return; }
    onSignal(msg).catch((e) => log("error handling " + msg.type + ": " + e));
  };
}

async function onSignal(msg) {
  switch (msg.type) {
    case "joined":
      myId = msg.id;
      members = msg.peers.slice();
      $("me").textContent = "you are " + msg.id + " in room " + msg.room;
      log("joined room " + msg.room + " as " + msg.id + "; others: " + (members.join(", ") || "none"));
      showMembers();
      if (params.get("auto") === "call" && members.length && !pc) call(members[0]);
      break;
    case "peer-joined":
      members.push(msg.id);
      log(msg.id + " joined the room");
      showMembers();
      if (params.get("auto") === "call" && !pc) call(msg.id);
      break;
    case "peer-left":
      members = members.filter((m) => m !== msg.id);
      log(msg.id + " left the room");
      if (msg.id === peer) hangUp(false);
      showMembers();
      break;
    case "offer":
      log("offer from " + msg.from + " (" + describeSdp(msg.sdp) + ")");
      await answer(msg.from, msg.sdp);
      break;
    case "answer":
      log("answer from " + msg.from + " (" + describeSdp(msg.sdp) + ")");
      if (!pc) return;
      await pc.setRemoteDescription({ type: "answer", sdp: msg.sdp });
      await flushCandidates();
      break;
    case "candidate": {
      const text = msg.candidate || "";
      log("candidate from " + msg.from + ": " + (text ? describeCandidate(text) : "end-of-candidates"));
      const init = text
        ? { candidate: text, sdpMid: msg.sdpMid, sdpMLineIndex: msg.sdpMLineIndex }
        : null;
      if (pc && pc.remoteDescription) await addCandidate(init);
      else pendingCandidates.push(init);
      break;
    }
    case "bye":
      log("bye from " + msg.from);
      hangUp(false);
      break;
    case "error":
      log("signaling error: " + msg.reason + (msg.detail ? " (" + msg.detail + ")" : ""));
      break;
    default:
      log("unexpected " + msg.type);
  }
}

function describeSdp(sdp) {
  const kinds = sdp.split(/\r?\n/).filter((l) => l.startsWith("m=")).map((l) => l.slice(2).split(" ")[0]);
  return kinds.join(", ") + "; " + (sdp.length / 1024).toFixed(1) + " KB";
}

function describeCandidate(c) {
  const f = c.split(" ");
  const typ = f[f.indexOf("typ") + 1];
  return typ + " " + f[4] + ":" + f[5] + " " + (f[2] || "").toLowerCase();
}

async function addCandidate(init) {
  try {
    await pc.addIceCandidate(init || undefined);
  } catch (e) {
    log("addIceCandidate failed: " + e);
  }
}

async function flushCandidates() {
  const list = pendingCandidates;
  pendingCandidates = [];
  for (const c of list) await addCandidate(c);
}

// ----- the call ---------------------------------------------------------------------------

async function getMedia() {
  if (localStream) return localStream;
  for (const constraints of [{ audio: true, video: true }, { audio: true }, { video: true }]) {
    try {
      localStream = await navigator.mediaDevices.getUserMedia(constraints);
      $("local").srcObject = localStream;
      log("getUserMedia: " + localStream.getTracks().map((t) => t.kind).join(" + "));
      return localStream;
    } catch (e) {
      log("getUserMedia(" + JSON.stringify(constraints) + ") failed: " + e.name);
    }
  }
  log("no camera or microphone: receiving only");
  return null;
}

function newPeerConnection(other) {
  peer = other;
  pendingCandidates = [];
  pc = new RTCPeerConnection({ iceServers });
  $("peer").textContent = other;
  $("hangup").disabled = false;
  $("call").disabled = true;
  const update = () => {
    if (!pc) return;
    setState("signaling-state", pc.signalingState);
    setState("gathering-state", pc.iceGatheringState);
    setState("ice-state", pc.iceConnectionState);
    setState("connection-state", pc.connectionState);
  };
  pc.onsignalingstatechange = () => { update(); log("signaling " + pc.signalingState); };
  pc.onicegatheringstatechange = () => { update(); log("ICE gathering " + pc.iceGatheringState); };
  pc.oniceconnectionstatechange = () => { update(); log("ICE " + pc.iceConnectionState); };
  pc.onconnectionstatechange = () => { update(); log("connection " + pc.connectionState); };
  pc.onicecandidate = (e) => {
    const c = e.candidate;
    if (c && c.candidate) {
      log("local candidate: " + describeCandidate(c.candidate));
      send({ type: "candidate", candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex, to: peer });
    } else if (!c) {
      log("local candidates complete");
      send({ type: "candidate", candidate: null, sdpMid: "0", sdpMLineIndex: 0, to: peer });
    }
  };
  pc.ontrack = (e) => {
    log("on_track " + e.track.kind + " (mid " + e.transceiver.mid + ")");
    const remote = $("remote");
    if (!remote.srcObject) remote.srcObject = new MediaStream();
    remote.srcObject.addTrack(e.track);
  };
  update();
  statsTimer = setInterval(showStats, 1000);
  return pc;
}

async function addLocalTracks(stream) {
  if (stream) {
    for (const t of stream.getTracks()) pc.addTrack(t, stream);
  }
  // Receive audio and video even without a camera or microphone.
  for (const kind of ["audio", "video"]) {
    if (!pc.getTransceivers().some((t) => t.receiver.track.kind === kind)) {
      pc.addTransceiver(kind, { direction: "recvonly" });
    }
  }
}

async function call(other) {
  if (pc) return;
  log("calling " + other);
  const stream = await getMedia();
  newPeerConnection(other);
  await addLocalTracks(stream);
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  send({ type: "offer", sdp: pc.localDescription.sdp, to: other });
  log("offer sent to " + other + " (" + describeSdp(pc.localDescription.sdp) + ")");
}

async function answer(other, sdp) {
  if (pc && peer !== other) {
    log("busy: ignoring the offer from " + other);
    return;
  }
  const stream = await getMedia();
  if (!pc) newPeerConnection(other);
  await pc.setRemoteDescription({ type: "offer", sdp });
  if (stream) {
    for (const t of stream.getTracks()) {
      if (!pc.getSenders().some((s) => s.track === t)) pc.addTrack(t, stream);
    }
  }
  await flushCandidates();
  const desc = await pc.createAnswer();
  await pc.setLocalDescription(desc);
  send({ type: "answer", sdp: pc.localDescription.sdp, to: other });
  log("answer sent to " + other + " (" + describeSdp(pc.localDescription.sdp) + ")");
}

// Ends the call; with `sayBye`, tells the other side (and re-joins, since bye leaves the room).
function hangUp(sayBye) {
  if (sayBye && peer) {
    send({ type: "bye", to: peer });
    log("bye sent to " + peer);
    send({ type: "join", room: $("room").value });
  }
  if (statsTimer) clearInterval(statsTimer);
  statsTimer = null;
  if (pc) {
    pc.close();
    setState("signaling-state", "closed");
    setState("ice-state", "closed");
    setState("connection-state", "closed");
    log("call ended");
  }
  pc = null;
  peer = null;
  pendingCandidates = [];
  $("peer").textContent = "—";
  $("remote").srcObject = null;
  $("hangup").disabled = true;
  showMembers();
}

// ----- stats ------------------------------------------------------------------------------

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
}

async function showStats() {
  if (!pc) return;
  const report = await pc.getStats();
  const byId = new Map();
  report.forEach((s) => byId.set(s.id, s));
  const body = $("stats").tBodies[0];
  body.textContent = "";
  const rtts = new Map(); // local outbound id -> RTT from remote-inbound-rtp
  report.forEach((s) => {
    if (s.type === "remote-inbound-rtp" && s.localId && s.roundTripTime !== undefined) {
      rtts.set(s.localId, s.roundTripTime);
    }
  });
  const rows = [];
  report.forEach((s) => {
    if (s.type !== "outbound-rtp" && s.type !== "inbound-rtp") return;
    rows.push(s);
  });
  rows.sort((a, b) => (a.type + a.kind).localeCompare(b.type + b.kind));
  for (const s of rows) {
    const out = s.type === "outbound-rtp";
    const bytes = out ? s.bytesSent : s.bytesReceived;
    const packets = out ? s.packetsSent : s.packetsReceived;
    const prev = lastStats.get(s.id);
    let kbps = "";
    if (prev && s.timestamp > prev.timestamp) {
      kbps = ((bytes - prev.bytes) * 8 / (s.timestamp - prev.timestamp)).toFixed(0);
    }
    lastStats.set(s.id, { bytes, timestamp: s.timestamp });
    const row = document.createElement("tr");
    cell(row, (out ? "sent " : "received ") + s.kind + (s.ssrc ? " (ssrc " + s.ssrc + ")" : ""));
    cell(row, packets ?? "");
    cell(row, bytes ?? "");
    cell(row, kbps);
    cell(row, s.framesPerSecond ?? "");
    cell(row, out ? "" : (s.packetsLost ?? ""));
    cell(row, out ? "" : (s.jitter !== undefined ? (s.jitter * 1000).toFixed(1) : ""));
    const rtt = rtts.get(s.id);
    cell(row, rtt !== undefined ? (rtt * 1000).toFixed(1) : "");
    body.appendChild(row);
  }
  let text = "";
  report.forEach((s) => {
    if (s.type !== "transport") return;
    const pair = byId.get(s.selectedCandidatePairId);
    if (pair) {
      const l = byId.get(pair.localCandidateId) || {};
      const r = byId.get(pair.remoteCandidateId) || {};
      text += "selected pair: " + (l.address || l.ip) + ":" + l.port + " (" + l.candidateType + ") ⇄ " +
        (r.address || r.ip) + ":" + r.port + " (" + r.candidateType + ") " + (l.protocol || "") +
        (pair.currentRoundTripTime !== undefined ? ", RTT " + (pair.currentRoundTripTime * 1000).toFixed(1) + " ms" : "") + "\n";
    }
    text += "DTLS " + (s.dtlsState || "?") + ", " + (s.tlsVersion ? "version " + s.tlsVersion + ", " : "") +
      "cipher " + (s.dtlsCipher || "?") + ", SRTP " + (s.srtpCipher || "?") + ", ICE role " + (s.iceRole || "?") + "\n";
  });
  $("transport").textContent = text;
  if (params.has("verbose")) {
    // One JSON line per second on the console, for scripted runs (headless browsers).
    const summary = { connection: pc.connectionState, ice: pc.iceConnectionState, sent: {}, received: {} };
    for (const r of rows) {
      const side = r.type === "outbound-rtp" ? summary.sent : summary.received;
      side[r.kind] = (side[r.kind] || 0) + ((r.type === "outbound-rtp" ? r.bytesSent : r.bytesReceived) || 0);
    }
    report.forEach((t) => {
      if (t.type === "transport") { summary.dtlsCipher = t.dtlsCipher; summary.srtpCipher = t.srtpCipher; }
    });
    console.log("nutshell-demo stats " + JSON.stringify(summary));
  }
}

// ----- page -------------------------------------------------------------------------------

$("join").addEventListener("submit", (event) => {
  event.preventDefault();
  join($("room").value);
});
$("call").addEventListener("click", () => {
  if (members.length) call(members[0]).catch((e) => log("call failed: " + e));
});
$("hangup").addEventListener("click", () => hangUp(true));

if (params.has("room")) {
  $("room").value = params.get("room");
  join(params.get("room"));
}
