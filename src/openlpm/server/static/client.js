// The browser side of the openlpm WebSocket protocol (docs/protocol.md), and nothing else.

export const Kind = { USER_AUDIO: 0x01, AGENT_AUDIO: 0x02, AGENT_AUDIO_FILE: 0x03, IMAGE: 0x04, REFERENCE: 0x05, FRAME: 0x81 };
export const Flags = { SPEAKING: 1, LISTENING: 2 };
const CLIENT_HEADER = 12;
const FRAME_HEADER = 40;

export class Client extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.seq = 0;
    this.sentAt = new Map(); // seq -> performance.now() of audio chunks, for latency
    this.latencies = [];
    this.ws = null;
    this.pending = []; // messages sent while connecting: flushed right after "open" (hello)
  }

  connect() {
    this.ws = new WebSocket(this.url);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => {
      this.emit("open");
      for (const data of this.pending.splice(0)) this.ws.send(data);
    };
    this.ws.onclose = (e) => this.emit("close", { code: e.code, reason: e.reason });
    this.ws.onerror = () => this.emit("socketerror");
    this.ws.onmessage = (e) => {
      if (typeof e.data === "string") {
        const msg = JSON.parse(e.data);
        this.emit(msg.type, msg);
      } else {
        const frame = parseFrame(e.data);
        this.noteAck(frame.ack);
        this.emit("frame", frame);
      }
    };
  }

  get open() { return this.ws && this.ws.readyState === WebSocket.OPEN; }
  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  send(type, fields = {}) {
    this.raw(JSON.stringify({ type, ...fields }));
  }

  raw(data) {
    if (this.open) this.ws.send(data);
    else if (this.ws && this.ws.readyState === WebSocket.CONNECTING) this.pending.push(data);
  }

  // Mono PCM16 at `rate`, as kind USER_AUDIO or AGENT_AUDIO. Chunks are numbered so frames can
  // acknowledge them: the page measures audio-in -> frame-out latency on its own clock.
  sendPcm(kind, int16, rate) {
    if (!this.open) return;
    const seq = ++this.seq;
    this.sentAt.set(seq, performance.now());
    if (this.sentAt.size > 500) this.sentAt.delete(this.sentAt.keys().next().value);
    this.ws.send(packClient(kind, new Uint8Array(int16.buffer, int16.byteOffset, int16.byteLength), rate, seq));
  }

  sendFile(kind, bytes) {
    this.raw(packClient(kind, new Uint8Array(bytes), 0, ++this.seq));
  }

  noteAck(ack) {
    const sent = ack && this.sentAt.get(ack);
    if (!sent) return;
    this.sentAt.delete(ack);
    this.latencies.push(performance.now() - sent);
    if (this.latencies.length > 100) this.latencies.shift();
  }

  latencyP50() {
    if (!this.latencies.length) return null;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  close() { if (this.ws) this.ws.close(1000, "bye"); }
}

function packClient(kind, payload, rate, seq) {
  const out = new Uint8Array(CLIENT_HEADER + payload.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, kind);
  view.setUint8(1, 1); // version
  view.setUint16(2, 1, true); // channels
  view.setUint32(4, rate, true);
  view.setUint32(8, seq, true);
  out.set(payload, CLIENT_HEADER);
  return out.buffer;
}

export function parseFrame(buffer) {
  const v = new DataView(buffer);
  if (v.getUint8(0) !== Kind.FRAME) throw new Error("not a frame message");
  const samples = v.getUint32(20, true);
  const jpegBytes = v.getUint32(24, true);
  const audioStart = FRAME_HEADER + jpegBytes;
  return {
    flags: v.getUint8(2),
    index: v.getUint32(4, true),
    pts: v.getFloat64(8, true),
    audioRate: v.getUint32(16, true),
    ack: v.getUint32(28, true),
    audioPts: v.getFloat64(32, true),
    jpeg: new Uint8Array(buffer, FRAME_HEADER, jpegBytes),
    // slice: the samples may start at an odd offset, Int16Array needs an even one
    audio: new Int16Array(buffer.slice(audioStart, audioStart + samples * 2)),
  };
}
