// URL and body templates of the http plugin: "{name}" placeholders filled per changed path, percent-encoded in
// URLs ("{path}" keeps its "/"), raw in bodies; "{{" and "}}" are literal braces. Pure: no I/O.
import { TEMPLATE_FIELDS } from './config.js';

export class TemplateError extends Error {}

export type TemplateValues = Partial<Record<(typeof TEMPLATE_FIELDS)[number], string>>;

const PLACEHOLDER = /\{\{|\}\}|\{([^{}]*)\}/g;
/** Values that are paths: in a URL each segment is encoded and the "/" kept. */
const PATH_LIKE = new Set(['path', 'abspath', 'from1', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** The placeholders a template uses; throws on an unknown one or a stray brace. */
export function templateFields(template: string): string[] {
  const fields: string[] = [];
  const known = new Set<string>(TEMPLATE_FIELDS);
  const rest = template.replace(PLACEHOLDER, (whole, name: string | undefined) => {
    if (name === undefined) return '';
    if (!known.has(name)) {
      throw new TemplateError(
        `unknown placeholder {${name}} in ${JSON.stringify(template)}: use ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(', ')}`,
      );
    }
    fields.push(name);
    return '';
  });
  if (/[{}]/.test(rest)) {
    throw new TemplateError(
      `unbalanced brace in ${JSON.stringify(template)}: write a literal brace as {{ or }}`,
    );
  }
  return fields;
}

function encodePath(value: string): string {
  return value.split('/').map(encodeURIComponent).join('/');
}

export function expandTemplate(template: string, values: TemplateValues, mode: 'url' | 'raw'): string {
  return template.replace(PLACEHOLDER, (whole, name: string | undefined) => {
    if (name === undefined) return whole === '{{' ? '{' : '}';
    const value = values[name as keyof TemplateValues] ?? '';
    if (mode === 'raw') return value;
    return PATH_LIKE.has(name) ? encodePath(value) : encodeURIComponent(value);
  });
}

/**
 * Values from a `match` regex searched in the absolute path: {0} the whole match, {1}..{9} the groups, {from1}
 * the absolute path from the start of group 1 to its end with leading "/" removed (".../site/jx3.xoyo.com/a.png"
 * with "site([/a-z0-9]*).xoyo.com" gives "jx3.xoyo.com/a.png"). sersync's own refreshCDN rule is cdn.ts.
 */
export function matchValues(regex: RegExp, abspath: string): TemplateValues | null {
  const m = regex.exec(abspath);
  if (!m) return null;
  const values: TemplateValues = { '0': m[0] };
  for (let i = 1; i <= 9; i++) values[String(i) as '1'] = m[i] ?? '';
  const start = m.indices?.[1]?.[0];
  values.from1 = (start === undefined ? m[0] : abspath.slice(start)).replace(/^\/+/, '');
  return values;
}
