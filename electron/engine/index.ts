// The engine library's entry point: everything a shell (CLI, headless server, Electron main) may use.
export { Engine, type EngineOptions } from './engine.js';
export { type EnginePairConfig, type EngineTargetConfig } from './pair.js';
export { parseTarget, describeTarget, type Target, TargetSyntaxError } from './rsync/target.js';
export { withoutRetry } from './rsync/exit-codes.js';
export {
  probeCapabilities,
  forgetCapabilities,
  describeCapabilities,
  type ServerCapabilities,
} from './rsync/capabilities.js';
export { checkPasswordFile, writePasswordFile, PasswordFileError } from './password-file.js';
export { loadConfigFile, parseConfig, ConfigError } from './config-file.js';
export type * from '../shared/state.js';
export type * from '../shared/config.js';
export { findOverlap } from './target-overlap.js';
