/**
 * POSIX shell quoting. Everything the batch script embeds (commands, env
 * values, paths, image references) goes through `shellQuote`, so the job sees
 * each value byte for byte: quotes, `$`, backticks, `&&`, newlines and unicode
 * are never interpreted by the batch shell. (The original executor used Go's
 * `html/template`, which turned `"` into `&#34;` and broke such commands.)
 */

/** Characters that never need quoting in a shell word. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one shell word: `it's` → `'it'\''s'`; plain words stay as they are. */
export function shellQuote(value: string): string {
  if (value !== '' && SAFE_WORD.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quotes and joins an argv into one shell command line. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** Whether `name` can be a shell variable (and so an exported environment variable). */
export function isShellVariableName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
