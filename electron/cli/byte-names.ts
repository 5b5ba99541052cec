// Names of any bytes on a terminal and back: printed with rsync's own \#ooo escapes for control bytes, for the
// bytes of a name that is not valid UTF-8, and for a backslash that would read as an escape; a PATH argument
// given in that form (copied from `rsync-live ls`) is turned back into the exact bytes.
import { display, toBuffer, type RelPath } from '../engine/byte-path.js';

const octal = (byte: number): string => `\\#${byte.toString(8).padStart(3, '0')}`;

export function escapeName(rel: string): string {
  const bytes = toBuffer(rel);
  const utf8 = Buffer.from(display(rel), 'utf8').equals(bytes);
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte < 0x20 || byte === 0x7f || (byte >= 0x80 && !utf8)) out += octal(byte);
    else if (byte === 0x5c && /^#[0-7]{3}/.test(rel.slice(i + 1, i + 5))) out += octal(byte);
    else out += rel[i];
  }
  return utf8 ? Buffer.from(out, 'latin1').toString('utf8') : out;
}

/** A path argument as the user typed it (UTF-8 text, \#ooo escapes for other bytes) as exact bytes. */
export function unescapeArg(arg: string): RelPath {
  const parts = arg.split(/(\\#[0-7]{3})/);
  return parts
    .map((part) =>
      /^\\#[0-7]{3}$/.test(part)
        ? String.fromCharCode(parseInt(part.slice(2), 8))
        : Buffer.from(part, 'utf8').toString('latin1'),
    )
    .join('') as RelPath;
}
