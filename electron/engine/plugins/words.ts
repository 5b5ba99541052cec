// Splits a command string (sersync's prefix and suffix) into argv words the way a POSIX shell tokenizes them,
// without any expansion: quotes and backslashes only. The result is run directly, never by a shell.

export class WordsError extends Error {}

/** Characters that mean something to a shell but are passed literally here. */
const SHELL_SYNTAX = /[|&;<>()$`*?[\]~]/;

export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new WordsError(`unmatched ' in ${JSON.stringify(text)}`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new WordsError(`unmatched " in ${JSON.stringify(text)}`);
        const c = text[i] as string;
        if (c === '"') break;
        if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) {
          word += text[i + 1];
          i += 2;
        } else {
          word += c;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (ch === '\\') {
      if (i + 1 >= text.length) throw new WordsError(`trailing backslash in ${JSON.stringify(text)}`);
      word += text[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** True when unquoted text holds shell syntax (redirections, pipes, variables) that will not be interpreted. */
export function hasShellSyntax(text: string): boolean {
  const unquoted = text
    .replace(/'[^']*'/g, '')
    .replace(/"((?:[^"\\]|\\.)*)"/g, (_, inner: string) => inner.replace(/\\.|[^$`]/g, ''));
  return SHELL_SYNTAX.test(unquoted);
}
