// `rsync-live run --config FILE [--once]`: every pair of a JSON config file (or a sersync confxml.xml), each
// checked like a saved pair before anything starts.
import path from 'node:path';
import { loadConfigFile } from '../../engine/index.js';
import { isXmlConfigFile, runSersyncFile } from '../../sersync/index.js';
import { formatFieldIssues, validatePair } from '../../service/pair-validation.js';
import { defaultStateDir } from '../../service/xdg-dirs.js';
import { parseCommandArgs, UsageError, type Command } from '../command.js';
import { runPairs } from '../run-pairs.js';
import { untilStopSignal } from '../stop-signal.js';

export const RUN_USAGE = `Usage: rsync-live run --config FILE [--once] [options]
Run every pair of a JSON config file (the format serve and the desktop app store, see docs/config.md), or a
sersync confxml.xml. A target without a passwordFile uses RSYNC_PASSWORD from the environment.

Options:
  -c, --config FILE      the config file (required)
  --once                 one full sync per target, then exit with rsync's status
  --state-dir DIR        unfinished queues and locks (default ~/.local/state/rsync-live)
  --confirm-deletions    allow the deletions the delete guard held back, and on a new pair delete what a
                         target holds that the folder doesn't (mirror)
  --keep-existing        on a new pair, keep what a target already holds that the folder doesn't (merge)
  -q, --quiet            print errors only
  -h, --help             this help`;

export const runCommand: Command = {
  name: 'run',
  summary:
    'rsync-live run --config FILE [--once]          run every pair of a config file (or a sersync confxml.xml)',
  usage: RUN_USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      config: { type: 'string', short: 'c' },
      once: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      'state-dir': { type: 'string' },
      'confirm-deletions': { type: 'boolean' },
      'keep-existing': { type: 'boolean' },
    });
    if (values['confirm-deletions'] && values['keep-existing'])
      throw new UsageError('--confirm-deletions and --keep-existing exclude each other');
    const answers = {
      confirmDeletions: values['confirm-deletions'] ?? false,
      keepExisting: values['keep-existing'] ?? false,
    };
    if (!values.config) throw new UsageError('run needs --config FILE');
    const configFile = path.resolve(io.cwd, values.config);
    const stateDir = values['state-dir']
      ? path.resolve(io.cwd, values['state-dir'])
      : defaultStateDir(io.env);
    if (await isXmlConfigFile(configFile)) {
      const options = {
        startupSync: true,
        once: values.once ?? false,
        quiet: values.quiet ?? false,
        ...answers,
      };
      return runSersyncFile(configFile, options, io, (configs, opts, setup) =>
        runPairs(configs, { ...opts, stateDir }, io, untilStopSignal(), setup),
      );
    }
    const file = await loadConfigFile(configFile);
    if (file.pairs.length === 0) throw new UsageError(`config ${values.config} has no pairs`);
    for (const [index, pair] of file.pairs.entries()) {
      const issues = await validatePair(pair, file.pairs);
      if (issues.length > 0)
        throw new Error(
          `invalid config ${configFile}:\n${formatFieldIssues(issues.map((issue) => ({ ...issue, field: `pairs[${index}].${issue.field}` })))}`,
        );
    }
    return runPairs(
      file.pairs,
      {
        once: values.once ?? false,
        quiet: values.quiet ?? false,
        stateDir,
        ...answers,
      },
      io,
      untilStopSignal(),
    );
  },
};
