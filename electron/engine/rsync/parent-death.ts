// Children that die with their parent: rsync is started through util-linux `setpriv --pdeathsig KILL`, so the
// kernel kills it when the rsync-live process ends in any way (kill -9, a crash, the OOM killer). Without this,
// an orphaned rsync keeps writing after a restart and can put an older version over a newer one. Where setpriv
// is missing (or cannot set the signal) rsync runs directly, as before. Linux only, like the rest of the engine.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

let setpriv: Promise<string | null> | null = null;

/** Finds an executable the way the shell would (a name with "/" is used as it is). */
export async function findExecutable(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | null> {
  const candidates = name.includes('/')
    ? [name]
    : (env.PATH ?? '')
        .split(':')
        .filter(Boolean)
        .map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    try {
      await fs.access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return null;
}

/** setpriv's path when it can set a parent-death signal here (checked once per process), else null. */
export function parentDeathHelper(): Promise<string | null> {
  setpriv ??= findExecutable('setpriv').then(
    (found) =>
      found &&
      new Promise<string | null>((resolve) =>
        execFile(found, ['--pdeathsig', 'KILL', '--', 'true'], { timeout: 5_000 }, (error) =>
          resolve(error ? null : found),
        ),
      ),
  );
  return setpriv;
}

/**
 * The argv that runs `program args` so that it is killed when this process dies: ["setpriv", "--pdeathsig",
 * "KILL", "--", program, ...args] when possible. A program that cannot be found is returned unwrapped, so the
 * spawn error (ENOENT: "rsync is not installed") stays the same.
 */
export async function withParentDeathSignal(program: string, args: readonly string[]): Promise<string[]> {
  const helper = await parentDeathHelper();
  if (!helper || !(await findExecutable(program))) return [program, ...args];
  return [helper, '--pdeathsig', 'KILL', '--', program, ...args];
}
