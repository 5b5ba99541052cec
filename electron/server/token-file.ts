// The headless server's access token: 32 random bytes as hex in a 0600 file (`serve-token` in the config
// folder). Reused while it is well-formed and private; replaced, with a warning, when others could read it.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { writeFileAtomic } from '../service/stores.js';

const TOKEN = /^[0-9a-f]{64}$/;

export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** Reads the token file, or writes a new one. `warn` hears why an existing file was not reused. */
export async function loadOrCreateToken(file: string, warn: (line: string) => void): Promise<string> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    stat = null;
  }
  if (stat) {
    const mode = stat.mode & 0o777;
    if (!stat.isFile()) {
      warn(`warning: ${file} is not a regular file; writing a new token`);
      await fs.rm(file, { recursive: true, force: true });
    } else if ((mode & 0o077) !== 0) {
      warn(
        `warning: ${file} was readable by others (mode ${mode.toString(8)}); it has been replaced by a new token ` +
          'with mode 600, so addresses printed before no longer work',
      );
    } else {
      const existing = (await fs.readFile(file, 'utf8')).trim();
      if (TOKEN.test(existing)) return existing;
      warn(`warning: ${file} did not hold a valid token; writing a new one`);
    }
  }
  const token = newToken();
  await writeFileAtomic(file, `${token}\n`, 0o600);
  return token;
}
