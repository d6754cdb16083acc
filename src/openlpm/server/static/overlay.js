// The overlay: each frame arrives as a colour JPEG and a grey mask JPEG (server/overlay.py);
// the mask becomes the canvas's alpha, so OBS composites only the character.
"use strict";

const overlay = (() => {
  const canvas = document.getElementById("overlay");
  const ctx = canvas.getContext("2d");
  const scratch = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
  const state = { frames: 0, index: -1, chroma: null, error: null };

  function connect() {
    const token = new URLSearchParams(location.search).get("token");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/overlay/ws${token ? "?token=" + encodeURIComponent(token) : ""}`;
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    let busy = false;
    ws.onmessage = async (event) => {
      if (typeof event.data === "string") {
        const msg = JSON.parse(event.data);
        if (msg.type === "overlay") {
          state.chroma = msg.chroma; // a key colour: the whole page, not only the picture
          document.body.style.background = msg.chroma || "transparent";
        }
        if (msg.type === "error") state.error = msg.message;
        return;
      }
      if (busy) return; // still drawing the last one: skip this frame, never queue
      busy = true;
      try { await draw(event.data); } finally { busy = false; }
    };
    ws.onclose = () => setTimeout(connect, 1000); // the server restarted: come back
  }

  async function draw(buffer) {
    const view = new DataView(buffer);
    const index = view.getUint32(4), colourLength = view.getUint32(8);
    const colour = new Blob([new Uint8Array(buffer, 12, colourLength)], { type: "image/jpeg" });
    const mask = new Blob([new Uint8Array(buffer, 12 + colourLength)], { type: "image/jpeg" });
    const [rgb, alpha] = await Promise.all([createImageBitmap(colour), createImageBitmap(mask)]);
    const w = rgb.width, h = rgb.height;
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    scratch.canvas.width = w; scratch.canvas.height = h;
    scratch.drawImage(alpha, 0, 0);
    const a = scratch.getImageData(0, 0, w, h).data;
    scratch.drawImage(rgb, 0, 0);
    const image = scratch.getImageData(0, 0, w, h);
    const px = image.data;
    for (let i = 3; i < px.length; i += 4) px[i] = a[i - 3];
    ctx.clearRect(0, 0, w, h);
    if (state.chroma) {
      ctx.fillStyle = state.chroma;
      ctx.fillRect(0, 0, w, h);
      scratch.putImageData(image, 0, 0);
      ctx.drawImage(scratch.canvas, 0, 0); // blended over the chroma colour
    } else {
      ctx.putImageData(image, 0, 0);
    }
    rgb.close(); alpha.close();
    state.frames += 1;
    state.index = index;
  }

  connect();
  return state;
})();
