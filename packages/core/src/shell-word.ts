/**
 * POSIX shell quoting of one word, only where needed: a word made of
 * characters no shell treats specially is returned unchanged (so the usual
 * `/cfs/pollinator/<project>/<id>/src/main.py` stays byte-identical), any
 * other word is single-quoted (`'` written as `'\''`), which keeps every
 * byte literal: no expansion, no word splitting, no globbing.
 */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function quoteShellWord(word: string): string {
  if (PLAIN_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
