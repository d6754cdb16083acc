// The user's microphone -> PCM16 chunks (an AudioWorklet on the page's AudioContext).

export class Microphone {
  constructor(ctx, onChunk, onLevel) {
    this.ctx = ctx;
    this.onChunk = onChunk;
    this.onLevel = onLevel;
    this.stream = null;
    this.node = null;
  }

  get on() { return this.stream !== null; }

  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    await this.ctx.audioWorklet.addModule("/static/mic-worklet.js");
    const source = this.ctx.createMediaStreamSource(this.stream);
    this.node = new AudioWorkletNode(this.ctx, "mic-chunker");
    this.node.port.onmessage = (e) => {
      this.onChunk(e.data.pcm, this.ctx.sampleRate);
      this.onLevel(e.data.level);
    };
    source.connect(this.node);
    // A worklet only runs when its output reaches the destination: a silent gain gets it there.
    const mute = this.ctx.createGain();
    mute.gain.value = 0;
    this.node.connect(mute).connect(this.ctx.destination);
    this.source = source;
  }

  stop() {
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    if (this.node) this.node.disconnect();
    if (this.source) this.source.disconnect();
    this.stream = this.node = this.source = null;
    this.onLevel(0);
  }
}
