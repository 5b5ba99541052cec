// Draws the tray icons (one per tray status, 16/24/32 px plus 24@2x) and the 256 px app icon into resources/,
// with nothing but Node: shapes are sampled 4×4 per pixel for smooth edges and written by a small PNG encoder
// (zlib + CRC32). A coloured disc per status carries a white glyph, so the states differ in shape as well as
// colour: synced ✓ (green), syncing ⟳ (blue), paused ‖ (grey), error ! (red).
//   node build/make-icons.mjs           writes the PNGs
//   node build/make-icons.mjs --check   exits 1 if a committed PNG's pixels differ from what this script draws
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import console from 'node:console';
import zlib from 'node:zlib';
import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resources = path.join(root, 'resources');

const COLORS = {
  synced: [46, 158, 79],
  syncing: [47, 116, 208],
  paused: [128, 134, 144],
  error: [217, 58, 58],
};
const GLYPHS = { synced: check, syncing: arrows, paused: pauseBars, error: exclamation };
const TRAY_SIZES = [16, 24, 32];
const SAMPLES = 4;

// ---- geometry (unit disc: centre 0,0, radius 1, y up) ----

function distanceToSegment(x, y, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
}

function inTriangle(x, y, [ax, ay], [bx, by], [cx, cy]) {
  const d1 = (x - bx) * (ay - by) - (ax - bx) * (y - by);
  const d2 = (x - cx) * (by - cy) - (bx - cx) * (y - cy);
  const d3 = (x - ax) * (cy - ay) - (cx - ax) * (y - ay);
  const negative = d1 < 0 || d2 < 0 || d3 < 0;
  const positive = d1 > 0 || d2 > 0 || d3 > 0;
  return !(negative && positive);
}

function check(x, y) {
  const half = 0.1;
  return (
    distanceToSegment(x, y, -0.42, 0.02, -0.12, -0.3) < half ||
    distanceToSegment(x, y, -0.12, -0.3, 0.44, 0.3) < half
  );
}

function arrows(x, y) {
  const radius = Math.hypot(x, y);
  const angle = (Math.atan2(y, x) * 180) / Math.PI;
  const onRing = radius > 0.4 && radius < 0.58;
  const inArc = (from, to) => angle >= from && angle <= to;
  if (onRing && (inArc(25, 150) || inArc(-155, -30))) return true;
  // Arrowheads at the counter-clockwise ends (150° and -30°), pointing along the circle.
  for (const end of [150, -30]) {
    const theta = (end * Math.PI) / 180;
    const [rx, ry] = [Math.cos(theta), Math.sin(theta)];
    const [tx, ty] = [-ry, rx];
    const base = [0.49 * rx, 0.49 * ry];
    const a = [base[0] + 0.27 * rx, base[1] + 0.27 * ry];
    const b = [base[0] - 0.27 * rx, base[1] - 0.27 * ry];
    const tip = [base[0] + 0.3 * tx, base[1] + 0.3 * ty];
    if (inTriangle(x, y, a, b, tip)) return true;
  }
  return false;
}

function pauseBars(x, y) {
  const inY = y > -0.42 && y < 0.42;
  return inY && ((x > -0.34 && x < -0.1) || (x > 0.1 && x < 0.34));
}

function exclamation(x, y) {
  return distanceToSegment(x, y, 0, 0.44, 0, -0.06) < 0.11 || Math.hypot(x, y + 0.38) < 0.12;
}

// ---- rendering ----

/** RGBA pixels of a disc in `color` with a slightly darker rim and the glyph in white. */
function draw(size, color, glyph, padding = 0) {
  const pixels = Buffer.alloc(size * size * 4);
  const radiusPx = size / 2 - 0.5 - padding;
  const rim = Math.max(1, size / 24) / radiusPx;
  const dark = color.map((channel) => Math.round(channel * 0.72));
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = (px + (sx + 0.5) / SAMPLES - size / 2) / radiusPx;
          const y = -(py + (sy + 0.5) / SAMPLES - size / 2) / radiusPx;
          const distance = Math.hypot(x, y);
          if (distance > 1) continue;
          const fill = glyph(x, y) ? [255, 255, 255] : distance > 1 - rim ? dark : color;
          r += fill[0];
          g += fill[1];
          b += fill[2];
          a += 1;
        }
      }
      const offset = (py * size + px) * 4;
      if (a === 0) continue;
      pixels[offset] = Math.round(r / a);
      pixels[offset + 1] = Math.round(g / a);
      pixels[offset + 2] = Math.round(b / a);
      pixels[offset + 3] = Math.round((255 * a) / (SAMPLES * SAMPLES));
    }
  }
  return pixels;
}

// ---- PNG ----

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  typed.copy(out, 4);
  out.writeUInt32BE(crc32(typed), 8 + data.length);
  return out;
}

/** Scanlines with filter type 0 (none) in front of each row. */
function scanlines(size, pixels) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let row = 0; row < size; row++)
    pixels.copy(raw, row * (size * 4 + 1) + 1, row * size * 4, (row + 1) * size * 4);
  return raw;
}

function encodePng(size, pixels) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(scanlines(size, pixels), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The scanlines stored in a PNG this script wrote (IDAT inflated), for --check. */
function storedScanlines(file) {
  const png = fs.readFileSync(file);
  const idat = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    if (type === 'IDAT') idat.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  return zlib.inflateSync(Buffer.concat(idat));
}

// ---- the icon set ----

function icons() {
  const list = [];
  for (const [status, color] of Object.entries(COLORS)) {
    for (const size of TRAY_SIZES)
      list.push({ file: `tray/${status}-${size}.png`, size, color, glyph: GLYPHS[status] });
    list.push({ file: `tray/${status}-24@2x.png`, size: 48, color, glyph: GLYPHS[status] });
  }
  list.push({ file: 'icon.png', size: 256, color: COLORS.syncing, glyph: arrows, padding: 8 });
  return list;
}

const checkOnly = process.argv.includes('--check');
let stale = 0;
for (const icon of icons()) {
  const file = path.join(resources, icon.file);
  const pixels = draw(icon.size, icon.color, icon.glyph, icon.padding ?? 0);
  if (checkOnly) {
    const same = fs.existsSync(file) && storedScanlines(file).equals(scanlines(icon.size, pixels));
    if (!same) {
      stale++;
      console.error(`stale or missing: resources/${icon.file}`);
    }
    continue;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, encodePng(icon.size, pixels));
}
if (checkOnly && stale > 0) {
  console.error(`${stale} icon(s) differ: run node build/make-icons.mjs`);
  process.exitCode = 1;
} else if (!checkOnly) {
  console.log(`wrote ${icons().length} icons to resources/`);
}
