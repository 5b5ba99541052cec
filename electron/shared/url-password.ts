// Passwords typed into a target URL (`rsync://user:secret@host/module`): found, taken out and never shown.
// The app moves the password into its secret store, the CLI refuses the URL; both show the URL without it.
// Browser-safe and pure.

/** `rsync://user:pass@host…` or `user:pass@host::module…`: the user part before "@" holds a ":". */
const WITH_PASSWORD = /^((?:rsync:\/\/)?)([^@/:\s]*):([^@/\s]*)@/;

/** The URL without its password, and the password (null when the URL has none). */
export function splitUrlPassword(url: string): { url: string; password: string | null } {
  const text = url.trim();
  const match = WITH_PASSWORD.exec(text);
  // "host:path@x" (ssh) has no "@" before its first ":" → only a user part followed by ":" counts.
  if (!match || !(match[1] === 'rsync://' || /^[^:]*:[^:]*@[^:]+::/.test(text)))
    return { url, password: null };
  const [whole, scheme, user] = match as unknown as [string, string, string, string];
  const password = decodeURIComponentSafe(match[3] ?? '');
  return { url: `${scheme}${user ? `${user}@` : ''}${text.slice(whole.length)}`, password };
}

/** The URL as it may be shown: "rsync://user:***@host/…" never carries the password. */
export function redactUrl(url: string): string {
  const { url: bare, password } = splitUrlPassword(url);
  if (password === null) return url;
  const at = bare.indexOf('@');
  return at === -1 ? bare.replace(/^(rsync:\/\/)?/, '$1***@') : `${bare.slice(0, at)}:***${bare.slice(at)}`;
}

export const URL_PASSWORD_MESSAGE =
  'the URL holds a password (user:password@): passwords never go into a URL, where they would show in lists, logs and process tables';

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
