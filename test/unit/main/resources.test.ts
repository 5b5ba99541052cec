// What the packaged app expects on disk: every tray icon tray.ts asks for (right size, valid PNG, @2x twice as
// big), the app icon, committed icons equal to what build/make-icons.mjs draws, and the paths main.js derives
// from dist/electron/main/.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { appPaths } from '../../../electron/main/paths.js';
import { TRAY_ICON_SIZES, TRAY_STATUSES, trayIconFile } from '../../../electron/main/tray-model.js';

const root = path.resolve(import.meta.dirname, '../../..');
const resources = path.join(root, 'resources');

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Width, height and colour type of a PNG, after checking the signature and every chunk's CRC. */
function readPng(file: string): { width: number; height: number; colorType: number; opaqueCorners: boolean } {
  const png = fs.readFileSync(file);
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  const idat: Buffer[] = [];
  let header: Buffer | null = null;
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    const typed = png.subarray(offset + 4, offset + 8 + length);
    expect(png.readUInt32BE(offset + 8 + length)).toBe(crc32(typed));
    const type = typed.subarray(0, 4).toString('ascii');
    if (type === 'IHDR') header = typed.subarray(4);
    if (type === 'IDAT') idat.push(typed.subarray(4));
    offset += 12 + length;
  }
  if (!header) throw new Error(`${file} has no IHDR`);
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe(height * (width * 4 + 1));
  const alphaAt = (x: number, y: number): number => raw[y * (width * 4 + 1) + 1 + x * 4 + 3] ?? -1;
  const opaqueCorners = [alphaAt(0, 0), alphaAt(width - 1, 0), alphaAt(0, height - 1)].some(
    (alpha) => alpha > 0,
  );
  return { width, height, colorType: header[9] ?? -1, opaqueCorners };
}

describe('resources', () => {
  it('has every tray icon at 16, 24 and 32 px, plus 24@2x, as RGBA PNGs with transparent corners', () => {
    for (const status of TRAY_STATUSES) {
      for (const size of TRAY_ICON_SIZES) {
        const icon = readPng(path.join(resources, trayIconFile(status, size)));
        expect(icon).toEqual({ width: size, height: size, colorType: 6, opaqueCorners: false });
      }
      const retina = readPng(path.join(resources, trayIconFile(status, 24).replace('.png', '@2x.png')));
      expect([retina.width, retina.height]).toEqual([48, 48]);
    }
  });

  it('has a 256 px app icon', () => {
    expect(readPng(path.join(resources, 'icon.png'))).toMatchObject({
      width: 256,
      height: 256,
      colorType: 6,
    });
  });

  it('the committed icons are what build/make-icons.mjs draws', () => {
    expect(() =>
      execFileSync(process.execPath, [path.join(root, 'build/make-icons.mjs'), '--check']),
    ).not.toThrow();
  });
});

describe('appPaths', () => {
  it('finds the renderer, preload and resources from dist/electron/main', () => {
    const paths = appPaths('/opt/Rsync Live/resources/app.asar/dist/electron/main');
    expect(paths).toEqual({
      mainDir: '/opt/Rsync Live/resources/app.asar/dist/electron/main',
      rendererIndex: '/opt/Rsync Live/resources/app.asar/renderer/dist/index.html',
      preload: '/opt/Rsync Live/resources/app.asar/dist/electron/preload/preload.cjs',
      resources: '/opt/Rsync Live/resources/app.asar/resources',
      appIcon: '/opt/Rsync Live/resources/app.asar/resources/icon.png',
    });
  });

  it('matches this checkout: package.json main is dist/electron/main/main.js and the resources exist', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string };
    const mainDir = path.dirname(path.join(root, pkg.main));
    expect(pkg.main).toBe('dist/electron/main/main.js');
    const paths = appPaths(mainDir);
    expect(paths.resources).toBe(resources);
    expect(fs.existsSync(paths.appIcon)).toBe(true);
    expect(path.relative(root, paths.preload)).toBe('dist/electron/preload/preload.cjs');
    expect(path.relative(root, paths.rendererIndex)).toBe('renderer/dist/index.html');
  });
});
