// Daemon password files: checks an existing one the way rsync would (owner-only), so the user learns why
// before rsync refuses it, and writes new ones 0600 atomically. The password itself is never logged.
import fs from 'node:fs/promises';
import path from 'node:path';

export class PasswordFileError extends Error {}

export async function checkPasswordFile(file: string): Promise<void> {
  if (!path.isAbsolute(file)) {
    throw new PasswordFileError(`password file ${file} must be given as an absolute path`);
  }
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (error) {
    throw new PasswordFileError(
      `cannot read password file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}): create it with the password on one line and run chmod 600 ${file}`,
    );
  }
  if (!stat.isFile()) throw new PasswordFileError(`password file ${file} is not a regular file`);
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new PasswordFileError(
      `password file ${file} has mode ${mode}, readable by others: run chmod 600 ${file} (rsync refuses such files too)`,
    );
  }
}

/** Writes `password` to `file` with mode 0600 (write to a temporary name, then rename). */
export async function writePasswordFile(file: string, password: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, `${password}\n`, { mode: 0o600 });
  await fs.chmod(temporary, 0o600);
  await fs.rename(temporary, file);
}
