// Reads and validates the JSON config file (`rsync-live run --config FILE`): the same schema the desktop app
// stores. Unknown or wrong fields are rejected with their path.
import fs from 'node:fs/promises';
import { configFileSchema, formatIssues, type ConfigFile } from '../shared/config.js';
import { duplicateTargets } from '../shared/folder-rules.js';

export class ConfigError extends Error {}

export function parseConfig(value: unknown, source: string): ConfigFile {
  const parsed = configFileSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`invalid config ${source}:\n${formatIssues(parsed.error)}`);
  const ids = new Set<string>();
  for (const [index, pair] of parsed.data.pairs.entries()) {
    if (ids.has(pair.id))
      throw new ConfigError(`invalid config ${source}:\npairs[${index}].id: duplicate pair id "${pair.id}"`);
    ids.add(pair.id);
  }
  const duplicate = duplicateTargets(parsed.data.pairs)[0];
  if (duplicate)
    throw new ConfigError(
      `invalid config ${source}:\npairs[${duplicate.pairIndex}].targets[${duplicate.targetIndex}].url: ${duplicate.message}`,
    );
  return parsed.data;
}

export async function loadConfigFile(file: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read config ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseConfig(value, file);
}
