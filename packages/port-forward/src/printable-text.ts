// Text a peer (the job, the executor, the colony) chose, made safe to print:
// a reason or message may carry terminal escapes (ESC [ … to move the cursor,
// retitle the window, fake a prompt), so control characters never reach the
// user's terminal or the executor's log as they came.

const CONTROL_CHARACTERS = /\p{Cc}/gu;
const LINE_BREAKS_AND_TABS = /[\t\n\r]/g;

/** `text` on one line without control characters: tabs and line breaks become spaces, the rest (ESC, BEL, DEL, C1, …) are removed. */
export function printableText(text: string): string {
  return text.replace(LINE_BREAKS_AND_TABS, ' ').replace(CONTROL_CHARACTERS, '');
}
