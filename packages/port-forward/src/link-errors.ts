// Typed errors of a channel link (stable codes, matched with isInstance).
import { defineErrorMarker, PollinatorError } from '@pollinator/errors';
import type { LinkEnd } from './link-types';

const MARKER = defineErrorMarker<ForwardLinkError>('ForwardLinkError');

export type ForwardLinkErrorCode =
  /** write() after the link ended (or while it closes): `details.end` says why. */
  | 'FORWARD_LINK_ENDED'
  /** One write() larger than the link's maxAppendBytes: a write is never split. */
  | 'FORWARD_LINK_WRITE_TOO_LARGE';

export class ForwardLinkError extends PollinatorError {
  declare readonly code: ForwardLinkErrorCode;
  /** How the link ended, for FORWARD_LINK_ENDED. */
  readonly end: LinkEnd | undefined;

  constructor(code: ForwardLinkErrorCode, message: string, end?: LinkEnd) {
    super(code, message, end === undefined ? {} : { details: { end } });
    this.name = 'ForwardLinkError';
    this.end = end;
    MARKER.mark(this);
  }

  static override isInstance(value: unknown): value is ForwardLinkError {
    return MARKER.isMarked(value);
  }
}

/** One line for a user: why the link ended. */
export function describeLinkEnd(end: LinkEnd): string {
  switch (end.kind) {
    case 'closed':
      return `the forward was closed by ${end.by === 'us' ? 'this side' : 'the other side'}${end.reason === undefined ? '' : `: ${end.reason}`}`;
    case 'process-ended':
      return `the process has ended (${end.state}), so the forward has ended too`;
    case 'refused':
    case 'limit':
    case 'error':
      return end.message;
  }
}
