// Runs on the audio thread: microphone samples -> 20 ms PCM16 chunks + a level, to the page.
class MicChunker extends AudioWorkletProcessor {
  constructor() {
    super();
    this.size = Math.round(sampleRate * 0.02);
    this.buf = new Int16Array(this.size);
    this.fill = 0;
    this.energy = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      const s = Math.max(-1, Math.min(1, channel[i]));
      this.energy += s * s;
      this.buf[this.fill++] = s < 0 ? s * 32768 : s * 32767;
      if (this.fill === this.size) {
        const level = Math.sqrt(this.energy / this.size);
        this.port.postMessage({ pcm: this.buf, level }, [this.buf.buffer]);
        this.buf = new Int16Array(this.size);
        this.fill = 0;
        this.energy = 0;
      }
    }
    return true;
  }
}
registerProcessor("mic-chunker", MicChunker);
