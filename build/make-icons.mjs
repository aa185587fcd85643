// Draws Tickline's icons (a double tick on a blue rounded square) as PNG
// files, without dependencies: `node build/make-icons.mjs`.
//   build/icon.png  512×512  app / installer icon (electron-builder converts it)
//   build/tray.png   32×32   tray icon
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const rows = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// Signed distances in unit coordinates (0..1).
function roundedSquare(x, y, half, radius) {
  const qx = Math.abs(x - 0.5) - half + radius;
  const qy = Math.abs(y - 0.5) - half + radius;
  const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0));
  return outside + Math.min(Math.max(qx, qy), 0) - radius;
}
function segment(x, y, ax, ay, bx, by) {
  const px = x - ax;
  const py = y - ay;
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - t * dx, py - t * dy);
}
function tick(x, y, ox, width) {
  return (
    Math.min(
      segment(x, y, 0.2 + ox, 0.52, 0.34 + ox, 0.66),
      segment(x, y, 0.34 + ox, 0.66, 0.6 + ox, 0.36),
    ) - width
  );
}

function draw(size, { margin, strokeWidth }) {
  const rgba = Buffer.alloc(size * size * 4);
  const samples = 4;
  const top = [59, 130, 246];
  const bottom = [29, 78, 216];
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples) / size;
          const y = (py + (sy + 0.5) / samples) / size;
          if (roundedSquare(x, y, 0.5 - margin, 0.22 - margin) <= 0) {
            bg++;
            if (Math.min(tick(x, y, 0, strokeWidth), tick(x, y, 0.16, strokeWidth)) <= 0) fg++;
          }
        }
      }
      const n = samples * samples;
      const t = py / size;
      const i = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) {
        const base = top[c] * (1 - t) + bottom[c] * t;
        // fg is a fraction of bg; composite white ticks over the gradient.
        const mix = bg === 0 ? 0 : fg / bg;
        rgba[i + c] = Math.round(base * (1 - mix) + 255 * mix);
      }
      rgba[i + 3] = Math.round((255 * bg) / n);
    }
  }
  return png(size, rgba);
}

const dir = new URL('.', import.meta.url);
writeFileSync(new URL('icon.png', dir), draw(512, { margin: 0.06, strokeWidth: 0.036 }));
writeFileSync(new URL('tray.png', dir), draw(32, { margin: 0.0, strokeWidth: 0.06 }));
console.log('wrote build/icon.png and build/tray.png');
