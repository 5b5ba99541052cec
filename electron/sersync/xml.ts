// A small XML reader for confxml.xml on top of saxes: a tree of elements (names in lower case, as sersync
// compared them without case) with the line and column of every element, attribute and text run, and
// SersyncConfigError (with the line) for malformed XML. No entities are fetched (saxes never resolves external
// DTDs). Also decodes the file's bytes and tells XML from JSON.

import { SaxesParser } from 'saxes';

export interface Position {
  line: number;
  column: number;
}

export interface XmlAttr extends Position {
  value: string;
}

export interface XmlElement extends Position {
  name: string;
  attrs: Map<string, XmlAttr>;
  children: XmlElement[];
  /** Non-blank text directly inside the element. */
  text: (Position & { text: string })[];
}

/** A configuration problem, located: `file:line:column: message`. */
export class SersyncConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly column: number | null,
    readonly detail: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}${column === null ? '' : `:${column}`}`}: ${detail}`);
  }
}

/**
 * confxml.xml files declare ISO-8859-1 but often hold UTF-8 paths (sersync passed bytes through): decode as
 * UTF-8 when the bytes are valid UTF-8, as Latin-1 otherwise.
 */
export function decodeConfig(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  const body = Buffer.from(text, 'utf8').equals(bytes) ? text : bytes.toString('latin1');
  return body.replace(/^\uFEFF/, '');
}

/** True when the text is XML (its first non-blank character is "<"), false for JSON and anything else. */
export function looksLikeXml(text: string): boolean {
  return /^\s*</.test(text.replace(/^\uFEFF/, ''));
}

export function parseXml(text: string, file: string): XmlElement {
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  // Set from the parser's callbacks (an object, so control-flow narrowing does not assume they stay null).
  const out: { root: XmlElement | null; failure: SersyncConfigError | null } = { root: null, failure: null };
  let pendingAttrs = new Map<string, XmlAttr>();
  let tagPosition: Position = { line: 1, column: 0 };
  /** Line where the last tag ended: text starts there (saxes reports text when it ends). */
  let textStart = 1;
  const addText = (chunk: string): void => {
    const parent = stack[stack.length - 1];
    const trimmed = chunk.trim();
    if (!parent || trimmed === '') return;
    const lead = chunk.slice(0, chunk.indexOf(trimmed[0] as string));
    const line = textStart + (lead.match(/\n/g)?.length ?? 0);
    parent.text.push({ text: trimmed, line, column: 0 });
  };

  parser.on('error', (error) => {
    if (out.failure) return;
    // saxes prefixes "line:column: "; keep our own prefix instead.
    const m = /^(?:[^:]*:)?(\d+):(\d+): (.*)$/s.exec(error.message);
    out.failure = m
      ? new SersyncConfigError(file, Number(m[1]), Number(m[2]), `not well-formed XML: ${m[3]}`)
      : new SersyncConfigError(file, parser.line, parser.column, `not well-formed XML: ${error.message}`);
  });
  parser.on('opentagstart', (tag) => {
    // saxes has read "<name" and one more character: step back to the "<" (columns are 1-based).
    tagPosition = { line: parser.line, column: Math.max(1, parser.column - tag.name.length - 1) };
    pendingAttrs = new Map();
  });
  parser.on('attribute', (attr) => {
    pendingAttrs.set(attr.name, { value: attr.value, line: parser.line, column: parser.column });
  });
  parser.on('opentag', (tag) => {
    const element: XmlElement = {
      name: tag.name,
      line: tagPosition.line,
      column: tagPosition.column,
      attrs: pendingAttrs,
      children: [],
      text: [],
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else out.root ??= element;
    stack.push(element);
    textStart = parser.line;
  });
  parser.on('closetag', () => {
    stack.pop();
    textStart = parser.line;
  });
  parser.on('comment', () => {
    textStart = parser.line;
  });
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('doctype', () => {
    out.failure ??= new SersyncConfigError(
      file,
      parser.line,
      null,
      'a <!DOCTYPE> is not allowed in confxml.xml: remove it',
    );
  });
  try {
    // sersync's reader matched element names without case, closing tags included (xmlParser.cpp xstrnicmp):
    // tag names are read in lower case; parse.ts maps them back to the schema's spelling.
    parser
      .write(
        text.replace(
          /<(\/?)([A-Za-z_][\w.:-]*)/g,
          (_, slash: string, name: string) => `<${slash}${name.toLowerCase()}`,
        ),
      )
      .close();
  } catch (error) {
    out.failure ??= new SersyncConfigError(file, parser.line, parser.column, (error as Error).message);
  }
  if (out.failure) throw out.failure;
  if (!out.root)
    throw new SersyncConfigError(file, null, null, 'no XML element found: is this a confxml.xml?');
  return out.root;
}
