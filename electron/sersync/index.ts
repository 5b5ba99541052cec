// sersync compatibility: read a confxml.xml (parse.ts), map it to pairs, plugins and a fail log (map.ts),
// and run it from the command line (cli.ts). The desktop app's "Import sersync config" calls importSersync.
export {
  importSersync,
  CLOSE_WRITE_WARNING,
  type SersyncImport,
  type ImportOptions,
  type FailLogConfig,
} from './map.js';
export { parseSersync, type SersyncDocument } from './parse.js';
export { SersyncConfigError, looksLikeXml, decodeConfig } from './xml.js';
export { FailLog, formatRecord, type FailLogOptions } from './fail-log.js';
export {
  sersyncCommand,
  runSersyncFile,
  isXmlConfigFile,
  planSersync,
  SERSYNC_USAGE,
  type PairsRunner,
  type Teardown,
} from './cli.js';
