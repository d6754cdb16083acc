// Plays the frames: each frame's sound is scheduled on the WebAudio clock at its pts, its image
// is drawn on a canvas when that clock reaches the same pts (plus the output latency), and a
// <video> element plays the canvas (captureStream). Voice and lips share one clock.

export class Player {
  constructor(ctx, canvas, video, onFrame) {
    this.ctx = ctx;
    this.canvas = canvas;
    this.g = canvas.getContext("2d");
    this.video = video;
    this.onFrame = onFrame; // called with the frame just shown
    this.delay = 0.06; // playout buffer (s): absorbs network jitter; grows when frames come late
    this.base = null; // ctx time of pts 0
    this.queue = [];
    this.shown = [];
    this.gain = ctx.createGain();
    this.gain.connect(ctx.destination);
    this.stream = canvas.captureStream();
    video.srcObject = this.stream;
    requestAnimationFrame(() => this.tick());
  }

  reset() {
    this.base = null;
    for (const f of this.queue) f.bitmap.close();
    this.queue = [];
  }

  async push(frame) {
    const now = this.ctx.currentTime;
    if (this.base === null) this.base = now + this.delay - frame.audioPts;
    const late = now - (this.base + Math.min(frame.audioPts, frame.pts));
    if (late > 0) { // behind: move the timeline, and keep a little more buffer from now on
      this.delay = Math.min(0.3, this.delay + 0.01);
      this.base += late + 0.01;
    }
    if (frame.audio.length) this.schedule(frame);
    const bitmap = await createImageBitmap(new Blob([frame.jpeg], { type: "image/jpeg" }));
    this.queue.push({ when: this.base + frame.pts, bitmap, frame });
    this.queue.sort((a, b) => a.when - b.when); // decodes may finish out of order
    if (this.queue.length > 50) this.queue.shift().bitmap.close();
  }

  schedule(frame) {
    const buffer = this.ctx.createBuffer(1, frame.audio.length, frame.audioRate);
    const data = buffer.getChannelData(0);
    for (let i = 0; i < data.length; i++) data[i] = frame.audio[i] / 32768;
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.gain);
    source.start(Math.max(this.ctx.currentTime, this.base + frame.audioPts));
  }

  tick() {
    requestAnimationFrame(() => this.tick());
    // Sound scheduled at t leaves the speakers at t + outputLatency: show the image then too.
    const t = this.ctx.currentTime - (this.ctx.outputLatency || this.ctx.baseLatency || 0);
    let due = null;
    while (this.queue.length && this.queue[0].when <= t) {
      if (due) due.bitmap.close();
      due = this.queue.shift();
    }
    if (!due) return;
    const { bitmap } = due;
    if (this.canvas.width !== bitmap.width || this.canvas.height !== bitmap.height) {
      this.canvas.width = bitmap.width;
      this.canvas.height = bitmap.height;
    }
    this.g.drawImage(bitmap, 0, 0);
    bitmap.close();
    const now = performance.now();
    this.shown.push(now);
    while (this.shown.length && this.shown[0] < now - 2000) this.shown.shift();
    this.onFrame(due.frame);
  }

  get fps() {
    const s = this.shown;
    return s.length > 1 ? ((s.length - 1) * 1000) / (s[s.length - 1] - s[0]) : 0;
  }
}
