// Typed errors of the keyless forward (`openForward`, `relayForwards`,
// `createForwardListener`). Each message names the process or port and says
// what to do next.
import { defineErrorMarker, PollinatorError } from '@pollinator/errors';

const FORWARD_MARKER = defineErrorMarker<ForwardError>('ForwardError');
const NOT_ALLOWED_MARKER = defineErrorMarker<ForwardNotAllowedError>('ForwardNotAllowedError');

/** Stable codes of every ForwardError. */
export type ForwardErrorCode =
  /** No process with this id in the colony (or not visible to this user). */
  | 'FORWARD_PROCESS_NOT_FOUND'
  /** The process ended before a forward could start (or while waiting for it to run). */
  | 'FORWARD_PROCESS_ENDED'
  /** The process has no forward channels, or the port is not one its spec allows. */
  | 'FORWARD_NOT_ALLOWED'
  /** This identity did not submit the process: only its submitter may forward to it. */
  | 'FORWARD_NOT_SUBMITTER'
  /** The local port on 127.0.0.1 could not be opened (in use, privileged). */
  | 'FORWARD_LOCAL_PORT_UNAVAILABLE'
  /** A port argument that is not 1 … 65535 (0 allowed for a local "any port"). */
  | 'FORWARD_INVALID_PORT'
  /** The caller's signal aborted the forward before it started. */
  | 'FORWARD_ABORTED';

/** Base class of every keyless-forward error; match on `code`. */
export class ForwardError extends PollinatorError {
  declare readonly code: ForwardErrorCode;

  constructor(code: ForwardErrorCode, message: string, options?: { details?: Record<string, unknown>; cause?: unknown }) {
    super(code, message, options);
    this.name = 'ForwardError';
    FORWARD_MARKER.mark(this);
  }

  /** `instanceof` that also works across two installed copies of the package. */
  static override isInstance(value: unknown): value is ForwardError {
    return FORWARD_MARKER.isMarked(value);
  }
}

/** The process does not offer this port: the project must declare it (`tunnel: {port: N}`) and run again. */
export class ForwardNotAllowedError extends ForwardError {
  readonly processId: string;
  readonly port: number;
  /** The ports the process does allow (empty when it has no forward channels). */
  readonly allowedPorts: readonly number[];

  constructor(processId: string, port: number, allowedPorts: readonly number[], message: string) {
    super('FORWARD_NOT_ALLOWED', message, { details: { processId, port, allowedPorts: [...allowedPorts] } });
    this.name = 'ForwardNotAllowedError';
    this.processId = processId;
    this.port = port;
    this.allowedPorts = allowedPorts;
    NOT_ALLOWED_MARKER.mark(this);
  }

  static override isInstance(value: unknown): value is ForwardNotAllowedError {
    return NOT_ALLOWED_MARKER.isMarked(value);
  }
}
