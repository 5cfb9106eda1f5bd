/**
 * POSIX shell quoting, one definition for every place a string reaches a
 * shell: the executor's job command (each argument one literal word) and the
 * Slurm batch script. A word made only of characters no shell treats
 * specially is returned unchanged (so `/cfs/pollinator/<project>/<id>/src/main.py`
 * stays byte-identical); any other word, the empty one included, is
 * single-quoted (`'` written as `'\''`): no expansion, no word splitting, no
 * globbing.
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
