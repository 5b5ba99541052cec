// Plugins: what runs for each changed path besides rsync (command, socket, http), fed by the Engine's
// `changes` events through a PluginHost.
export {
  pluginSchema,
  commandPluginSchema,
  socketPluginSchema,
  httpPluginSchema,
  type PluginConfig,
  type PluginConfigInput,
  type CommandPluginConfig,
  type SocketPluginConfig,
  type HttpPluginConfig,
} from './config.js';
export { PluginHost, type PluginHostOptions, type ChangeSource } from './host.js';
export type { PluginItem, PluginLog, PluginRunner } from './runner.js';
export { splitWords, hasShellSyntax, WordsError } from './words.js';
export { templateFields, TemplateError } from './template.js';
