// Where the headless app and the CLI keep their files, following the XDG base directory spec:
// configuration in $XDG_CONFIG_HOME/rsync-live, state (unfinished queues) in $XDG_STATE_HOME/rsync-live.
import os from 'node:os';
import path from 'node:path';

function base(value: string | undefined, env: NodeJS.ProcessEnv, fallback: string[]): string {
  if (value && path.isAbsolute(value)) return value;
  return path.join(env.HOME || os.homedir(), ...fallback);
}

export function defaultConfigDir(env: NodeJS.ProcessEnv): string {
  return path.join(base(env.XDG_CONFIG_HOME, env, ['.config']), 'rsync-live');
}

export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  return path.join(base(env.XDG_STATE_HOME, env, ['.local', 'state']), 'rsync-live');
}
