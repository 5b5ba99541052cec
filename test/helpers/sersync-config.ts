// sersync 2.5.4's stock confxml.xml (test/fixtures/sersync/confxml.xml, the one copy every test uses) and
// stockConfxml(), which adapts its elements (watched folder, remotes, rsync login, plugins…) to a test.
import { readFileSync } from 'node:fs';

/** sersync 2.5.4's confxml.xml, byte for byte apart from the indentation. */
export const STOCK = readFileSync(new URL('../fixtures/sersync/confxml.xml', import.meta.url), 'utf8');

export type InotifyName =
  'delete' | 'createFolder' | 'createFile' | 'closeWrite' | 'moveFrom' | 'moveTo' | 'attrib' | 'modify';

export interface StockParts {
  /** `start` of the top-level <filter> (its stock excludes stay). */
  filterStart?: boolean;
  /** The whole top-level <filter> element. */
  filter?: string;
  inotify?: Partial<Record<InotifyName, boolean>>;
  /** The <localpath> element(s) inside <sersync>. */
  localpaths?: string;
  /** The whole <rsync> element. */
  rsync?: string;
  /** Attributes of the stock <rsync> children, e.g. { auth: 'start="true" users="u" passwordfile="/p"' }. */
  rsyncAttrs?: Partial<Record<'commonParams' | 'auth' | 'userDefinedPort' | 'timeout' | 'ssh', string>>;
  /** The whole <failLog> element ('' removes it). */
  failLog?: string;
  /** The whole <crontab> element. */
  crontab?: string;
  /** The <plugin start name> switch(es) inside <sersync>. */
  switches?: string;
  /** Every top-level <plugin name> definition. */
  plugins?: string;
}

function replaceOnce(text: string, pattern: RegExp, replacement: string): string {
  if (!pattern.test(text)) throw new Error(`the stock confxml.xml has no ${pattern}`);
  return text.replace(pattern, () => replacement);
}

/** The stock confxml.xml with the given parts replaced; everything else as sersync ships it. */
export function stockConfxml(parts: StockParts = {}): string {
  let xml = STOCK;
  if (parts.filter !== undefined)
    xml = replaceOnce(xml, / {4}<filter start="false">[\s\S]*?<\/filter>/, parts.filter);
  else if (parts.filterStart !== undefined)
    xml = replaceOnce(xml, /<filter start="false">/, `<filter start="${parts.filterStart}">`);
  for (const [name, on] of Object.entries(parts.inotify ?? {}))
    xml = replaceOnce(xml, new RegExp(`<${name} start="(true|false)"/>`), `<${name} start="${on}"/>`);
  if (parts.localpaths !== undefined)
    xml = replaceOnce(xml, /\t<localpath watch="\/opt\/tongbu">[\s\S]*?<\/localpath>/, parts.localpaths);
  if (parts.rsync !== undefined) xml = replaceOnce(xml, /\t<rsync>[\s\S]*?<\/rsync>/, parts.rsync);
  for (const [name, attrs] of Object.entries(parts.rsyncAttrs ?? {}))
    xml = replaceOnce(xml, new RegExp(`<${name} [^>]*/>`), `<${name} ${attrs}/>`);
  if (parts.failLog !== undefined) xml = replaceOnce(xml, /\t<failLog [^\n]*/, parts.failLog);
  if (parts.crontab !== undefined) xml = replaceOnce(xml, /\t<crontab[\s\S]*?<\/crontab>/, parts.crontab);
  if (parts.switches !== undefined)
    xml = replaceOnce(xml, /\t<plugin start="false" name="command"\/>/, parts.switches);
  if (parts.plugins !== undefined)
    xml = replaceOnce(xml, / {4}<plugin name="command">[\s\S]*(?=<\/head>)/, parts.plugins);
  return xml;
}
