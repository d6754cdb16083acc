// The page: wires the controls to the protocol client, the player and the microphone.
import { Client, Flags, Kind } from "/static/client.js";
import { Microphone } from "/static/mic.js";
import { Player } from "/static/player.js";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token");
const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ""}`;

const state = {
  client: null, player: null, mic: null, ctx: null, character: null, defaultCharacter: null,
  ready: false, stats: {}, limits: {}, hud: null,
};
window.openlpm = state; // for the curious (and for the page tests)

// --- characters ------------------------------------------------------------------------------

async function loadCharacters() {
  const info = await (await fetch("/api/info")).json();
  const box = $("characters");
  box.replaceChildren();
  for (const c of info.characters) {
    const b = document.createElement("button");
    b.className = "character";
    b.dataset.id = c.id;
    b.setAttribute("aria-pressed", "false");
    b.title = c.name;
    b.innerHTML = `<img alt="" src="${c.image}"><span></span>`;
    b.querySelector("span").textContent = c.name;
    b.onclick = () => choose(c.id);
    box.append(b);
  }
  state.character = state.defaultCharacter = info.default;
  markCharacter(info.default);
}

function markCharacter(id) {
  for (const b of document.querySelectorAll(".character")) b.setAttribute("aria-pressed", String(b.dataset.id === id));
}

function choose(id) {
  markCharacter(id);
  state.character = id;
  if (state.client && state.client.open) state.client.send("character", { character: id });
}

async function uploadImage(file) {
  if (!file) return;
  if (!/^image\/(png|jpeg)$/.test(file.type)) return toast(`${file.name} is not a PNG or JPEG image`);
  if (tooBig(file, state.limits.max_image)) return;
  markCharacter(null);
  if (!state.client) await start("upload");
  state.client.sendFile(Kind.IMAGE, await file.arrayBuffer());
}

async function uploadReference(file) {
  if (!file) return;
  if (!/^image\/(png|jpeg)$/.test(file.type)) return toast(`${file.name} is not a PNG or JPEG image`);
  if (tooBig(file, state.limits.max_image)) return;
  if (!state.ready) return toast("Start a character first, then add pictures of it with other expressions");
  loading("checking the reference");
  state.client.sendFile(Kind.REFERENCE, await file.arrayBuffer());
}

function onReference(msg) {
  toast(`Reference added (${msg.states.join(", ")}): the character now uses its texture`, "info");
}

// --- session ---------------------------------------------------------------------------------

async function start(character = state.character) {
  $("start").hidden = true;
  $("start-error").hidden = true;
  state.ctx = new AudioContext({ latencyHint: "interactive" });
  await state.ctx.resume();
  state.player = new Player(state.ctx, $("canvas"), $("video"), showFlags);
  $("video").play().catch(() => {});
  const client = new Client(wsUrl);
  state.client = client;
  setConn("connecting", "connecting…");
  client.addEventListener("open", () => client.send("hello", { character, size: 512, fps: 25 }));
  client.addEventListener("welcome", (e) => { state.limits = e.detail.limits; setConn("connecting", "connected"); });
  client.addEventListener("ack", (e) => onAck(e.detail));
  client.addEventListener("status", (e) => loading(e.detail.message));
  client.addEventListener("ready", (e) => onReady(e.detail));
  client.addEventListener("frame", (e) => state.player.push(e.detail));
  client.addEventListener("stats", (e) => { state.stats = e.detail; });
  client.addEventListener("prompt_result", (e) => showPrompt(e.detail));
  client.addEventListener("reference", (e) => onReference(e.detail));
  client.addEventListener("error", (e) => onError(e.detail));
  client.addEventListener("close", (e) => onClose(e.detail));
  client.connect();
  state.hud = state.hud || setInterval(updateHud, 500);
}

// Start: the session and, as the start text promises, the microphone.
async function startAndListen() {
  await start();
  if (!(state.mic && state.mic.on)) await toggleMic();
}

// A character that never became ready (an upload without a face, not an image...): back to
// the picker with the error, rather than an empty stage that says "connected".
function backToPicker(message) {
  const client = state.client;
  state.client = null;
  state.ready = false;
  if (client) client.close();
  if (state.mic && state.mic.on) toggleMic();
  if (state.ctx) state.ctx.close();
  state.ctx = state.player = state.mic = null;
  loading(null);
  state.character = state.defaultCharacter;
  markCharacter(state.character);
  $("start-error").textContent = message;
  $("start-error").hidden = false;
  $("start").hidden = false;
  setConn("idle", "not connected");
}

function onReady(msg) {
  state.ready = true;
  state.player.reset();
  loading(null);
  setConn("live", `live · ${msg.name}`);
  $("stage").style.setProperty("--aspect", msg.aspect);
  if (msg.character !== "upload") markCharacter(msg.character);
}

function onError(msg) {
  const noCharacter = msg.fatal || ["no_face", "bad_image", "too_large"].includes(msg.code);
  if (!state.ready && state.client && noCharacter) return backToPicker(msg.message);
  loading(null);
  toast(msg.message);
  if (msg.fatal) setConn("error", "disconnected");
}

function onClose({ code, reason }) {
  state.ready = false;
  if (state.mic && state.mic.on) toggleMic();
  if (code !== 1000) setConn("error", reason ? `closed: ${reason}` : "disconnected");
  else setConn("idle", "not connected");
}

function showFlags(frame) {
  $("badge-listening").classList.toggle("on", Boolean(frame.flags & Flags.LISTENING));
  $("badge-speaking").classList.toggle("on", Boolean(frame.flags & Flags.SPEAKING));
}

const LATENCY_PAGE = "Median over the last 20 s: from your microphone's audio leaving this page to the video frame that used it arriving back (network + animation), in whole ms";
const LATENCY_SERVER = "Median over the last 20 s, measured in the server: from audio in to the frame that used it (turn on the microphone for the round trip from this page), in whole ms";

function updateHud() {
  const p50 = state.client && state.client.latencyP50();
  const server = state.stats.latency_p50_ms;
  $("fps").textContent = state.player ? state.player.fps.toFixed(1) : "–";
  // One measure at a time, always whole milliseconds; the tooltip says which one it is.
  const ms = p50 != null ? p50 : server;
  $("latency").textContent = ms == null ? "–" : String(Math.round(ms));
  $("latency-metric").title = p50 != null ? LATENCY_PAGE : LATENCY_SERVER;
  $("dropped").textContent = (state.stats.dropped || 0) + (state.stats.send_dropped || 0);
}

// --- microphone, say, prompt, audio file ------------------------------------------------------

async function toggleMic() {
  const button = $("mic-button");
  if (state.mic && state.mic.on) {
    state.mic.stop();
    button.setAttribute("aria-pressed", "false");
    $("mic-label").textContent = "Turn on microphone";
    return;
  }
  if (!state.client) await start();
  state.mic = state.mic || new Microphone(
    state.ctx,
    (pcm, rate) => state.ready && state.client.sendPcm(Kind.USER_AUDIO, pcm, rate),
    (level) => { $("mic-level").style.width = `${Math.min(100, level * 400)}%`; },
  );
  try {
    await state.mic.start();
  } catch (err) {
    const denied = err.name === "NotAllowedError" || err.name === "SecurityError";
    button.dataset.state = "blocked";
    $("mic-label").textContent = denied ? "Microphone blocked: allow it for this site, then click here" : "No microphone found: click to try again";
    return toast(denied
      ? "The microphone was blocked. The character still talks (type below); to talk to it, allow the microphone in the address bar and click the microphone button."
      : `The microphone is not available: ${err.message}`);
  }
  delete button.dataset.state;
  button.setAttribute("aria-pressed", "true");
  $("mic-label").textContent = "Microphone on: talk to it";
}

async function say(event) {
  event.preventDefault();
  const text = $("say-text").value.trim();
  if (!text) return;
  if (!state.client) await start();
  state.client.send("say", { text });
  $("say-text").value = "";
}

async function prompt(text) {
  if (!text.trim()) return;
  if (!state.client) await start();
  state.client.send("prompt", { text });
  $("prompt-result").textContent = "…";
}

function showPrompt(msg) {
  const out = $("prompt-result");
  out.replaceChildren();
  const ok = document.createElement("span");
  ok.className = "ok";
  ok.textContent = msg.understood && msg.understood !== "(nothing)" ? `✓ ${msg.understood}` : "";
  out.append(ok);
  if (msg.not_understood && msg.not_understood.length) {
    const miss = document.createElement("span");
    miss.className = "miss";
    miss.textContent = `${ok.textContent ? " · " : ""}not understood: ${msg.not_understood.map((s) => `“${s}”`).join(", ")}`;
    out.append(miss);
  }
}

function onAck(msg) {
  if (msg.of === "audio_file") toast(`Speaking your file (${msg.duration.toFixed(1)} s)`, "info");
}

function tooBig(file, limit) {
  if (!limit || file.size <= limit) return false;
  toast(`${file.name} is ${(file.size / 1e6).toFixed(1)} MB; the limit is ${(limit / 1e6).toFixed(0)} MB`);
  return true;
}

async function sendAudioFile(file) {
  if (!file) return;
  if (tooBig(file, state.limits.max_audio_file)) return;
  if (!state.client) await start();
  state.client.sendFile(Kind.AGENT_AUDIO_FILE, await file.arrayBuffer());
}

// --- bits of UI ------------------------------------------------------------------------------

function setConn(kind, text) {
  $("conn").dataset.state = kind;
  $("conn").textContent = text;
}

function loading(text) {
  $("loading").hidden = !text;
  if (text) $("loading-text").textContent = `${text[0].toUpperCase()}${text.slice(1)}…`;
}

let toastTimer = null;
function toast(text, kind = "error") {
  const t = $("toast");
  t.textContent = text;
  t.className = `toast ${kind}`;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 6000);
}

function wireDragAndDrop() {
  const stage = $("stage");
  stage.addEventListener("dragover", (e) => { e.preventDefault(); stage.classList.add("dragging"); $("drop-hint").hidden = false; });
  stage.addEventListener("dragleave", () => { stage.classList.remove("dragging"); $("drop-hint").hidden = true; });
  stage.addEventListener("drop", (e) => {
    e.preventDefault();
    stage.classList.remove("dragging");
    $("drop-hint").hidden = true;
    uploadImage(e.dataTransfer.files[0]);
  });
}

$("start-button").onclick = () => startAndListen();
$("mic-button").onclick = toggleMic;
$("say-form").onsubmit = say;
$("stop-button").onclick = () => state.client && state.client.send("stop");
$("prompt-form").onsubmit = (e) => { e.preventDefault(); prompt($("prompt-text").value); };
for (const chip of $("chips").querySelectorAll("button")) chip.onclick = () => prompt(chip.textContent);
$("image-input").onchange = (e) => { uploadImage(e.target.files[0]); e.target.value = ""; };
$("ref-input").onchange = (e) => { uploadReference(e.target.files[0]); e.target.value = ""; };
$("audio-input").onchange = (e) => { sendAudioFile(e.target.files[0]); e.target.value = ""; };
wireDragAndDrop();
loadCharacters().catch((err) => toast(`Cannot reach the server: ${err.message}`));
