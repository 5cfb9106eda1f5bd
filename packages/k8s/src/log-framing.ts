/**
 * How received bytes become emitted text. Pure: given what a stream holds
 * back, says how much of it can be emitted now and as what text.
 *
 * - plain (one stream): everything up to the last whole UTF-8 character;
 * - prefixed (several streams, like `kubectl logs --prefix`): whole lines
 *   only, each prefixed with `[pod/<pod>/<container>] `; a line longer than
 *   `MAX_LINE_BYTES` (a progress bar redrawn with \r) is emitted in pieces.
 *
 * `final` (the stream has ended) emits everything, a last partial line
 * included (with a newline in prefixed mode).
 */
import { completeUtf8Length } from '@pollinator/backend';

/** Longest partial line held back in prefixed mode before it is emitted anyway. */
export const MAX_LINE_BYTES = 64 * 1024;

/** What to emit: `text`, standing for the first `bytes` bytes held back. */
export interface LogFrame {
  text: string;
  bytes: number;
}

export function framePlain(held: Buffer, final: boolean): LogFrame | undefined {
  const cut = final ? held.length : completeUtf8Length(held);
  if (cut === 0) return undefined;
  return { text: held.subarray(0, cut).toString('utf8'), bytes: cut };
}

export function framePrefixed(held: Buffer, prefix: string, final: boolean): LogFrame | undefined {
  const cut = final ? held.length : prefixedCut(held);
  if (cut <= 0) return undefined;
  const piece = held.subarray(0, cut).toString('utf8');
  const lines = piece.split('\n');
  // A piece ending in a newline splits into a trailing '' that is not a line.
  if (piece.endsWith('\n')) lines.pop();
  return { text: lines.map((line) => `${prefix}${line}\n`).join(''), bytes: cut };
}

function prefixedCut(held: Buffer): number {
  const lastNewline = held.lastIndexOf(0x0a);
  if (lastNewline >= 0) return lastNewline + 1;
  return held.length >= MAX_LINE_BYTES ? completeUtf8Length(held) : 0;
}
