// `rsync-live sersync [-r] [-o confxml.xml] [-n N] [-m plugin]`: sersync2's flags over the CLI's pair runner
// (the flags and their meanings live in electron/sersync/cli.ts).
import { SERSYNC_USAGE, sersyncCommand as runSersync } from '../../sersync/index.js';
import { defaultStateDir } from '../../service/xdg-dirs.js';
import type { Command } from '../command.js';
import { runPairs } from '../run-pairs.js';
import { untilStopSignal } from '../stop-signal.js';

export const sersyncCommand: Command = {
  name: 'sersync',
  summary: 'rsync-live sersync -r -o confxml.xml [-n N] [-m plugin] [-d]   run a sersync configuration',
  usage: SERSYNC_USAGE,
  run: (argv, io) =>
    runSersync(argv, { ...io, stateDir: defaultStateDir(io.env) }, (configs, opts, setup) =>
      runPairs(configs, { ...opts, stateDir: defaultStateDir(io.env) }, io, untilStopSignal(), setup),
    ),
};
