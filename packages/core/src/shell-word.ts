/**
 * The job command's arguments are literal words: each is shell-quoted where
 * needed before it is joined (`source: "my script.py"` works, a `;` in a
 * source name is not a command). The quoting is the one every backend uses.
 */
export { shellQuote as quoteShellWord } from '@pollinator/backend';
