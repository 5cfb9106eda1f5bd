/**
 * POSIX shell quoting (one definition, in `@pollinator/backend`). Everything the batch script embeds (commands, env
 * values, paths, image references) goes through `shellQuote`, so the job sees
 * each value byte for byte: quotes, `$`, backticks, `&&`, newlines and unicode
 * are never interpreted by the batch shell. (The original executor used Go's
 * `html/template`, which turned `"` into `&#34;` and broke such commands.)
 */

export { shellJoin, shellQuote } from '@pollinator/backend';

/** Whether `name` can be a shell variable (and so an exported environment variable). */
export function isShellVariableName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
