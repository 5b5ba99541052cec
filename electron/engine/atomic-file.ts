// Crash-safe file writes: write a temporary file beside the target, fsync it, then rename over the target, so a
// reader (or a restart after SIGKILL) sees the old content or the new one, never half of either.
import fs from 'node:fs/promises';
import path from 'node:path';

let counter = 0;

export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${++counter}.tmp`;
  const handle = await fs.open(temporary, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.chmod(temporary, mode);
  await fs.rename(temporary, file);
}
