// Every failure of the client is one of these classes, all `PollinatorError`s
// (@pollinator/errors). All carry a stable `code` and a `retryable` flag; match
// on those (and on `status` for `ColoniesError`), never on message text.
// Private keys never appear in them. Each class has its own
// `Symbol.for('pollinator.error.<Name>')` marker, so `X.isInstance(error)` is
// exact (only X and its subclasses) and works across duplicate package copies.
import { defineErrorMarker, PollinatorError } from '@pollinator/errors';

const CLIENT_ERROR = defineErrorMarker<ColoniesClientError>('ColoniesClientError');
const RPC_ERROR = defineErrorMarker<ColoniesError>('ColoniesError');
const NETWORK_ERROR = defineErrorMarker<ColoniesNetworkError>('ColoniesNetworkError');
const TIMEOUT_ERROR = defineErrorMarker<ColoniesTimeoutError>('ColoniesTimeoutError');
const ABORT_ERROR = defineErrorMarker<ColoniesAbortError>('ColoniesAbortError');
const BAD_REPLY_ERROR = defineErrorMarker<ColoniesBadReplyError>('ColoniesBadReplyError');
const REPLY_TOO_LARGE = defineErrorMarker<ColoniesReplyTooLargeError>('ColoniesReplyTooLargeError');
const UNREADABLE_PROCESS = defineErrorMarker<UnreadableProcessError>('UnreadableProcessError');
const ARGUMENT_ERROR = defineErrorMarker<ColoniesArgumentError>('ColoniesArgumentError');
const CONFIG_ERROR = defineErrorMarker<ColoniesConfigError>('ColoniesConfigError');

export type ColoniesErrorCode =
  /** The server (or a proxy in front of it) answered with an error. */
  | 'COLONIES_RPC_ERROR'
  /** No answer: connection refused/reset, DNS, TLS. */
  | 'COLONIES_NETWORK_ERROR'
  /** No answer within the call's timeout. */
  | 'COLONIES_TIMEOUT'
  /** The caller's AbortSignal fired. */
  | 'COLONIES_ABORTED'
  /** A 2xx answer that is not a Colonies reply envelope / not the expected JSON. */
  | 'COLONIES_BAD_REPLY'
  /** The call was refused before sending: invalid argument (e.g. maxexectime 0, no private key). */
  | 'COLONIES_INVALID_ARGUMENT'
  /** A COLONIES_* environment variable is missing or malformed. */
  | 'COLONIES_CONFIG_ERROR'
  /** A reply body larger than the client's `maxReplyBytes`: not read to the end, not parsed. */
  | 'COLONIES_REPLY_TOO_LARGE'
  /** The server sent a process this client cannot decode (see `UnreadableProcessError`). */
  | 'UNREADABLE_PROCESS';

export class ColoniesClientError extends PollinatorError {
  declare readonly code: ColoniesErrorCode;
  /** True when repeating the same call later may succeed. */
  readonly retryable: boolean;

  constructor(code: ColoniesErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(code, `[pollinator] [colonies-client] ${message}`, { cause: options.cause });
    this.name = 'ColoniesClientError';
    this.retryable = options.retryable ?? false;
    CLIENT_ERROR.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is ColoniesClientError {
    return CLIENT_ERROR.isMarked(value);
  }
}

/**
 * An error reply: from the Colonies server (an `error: true` envelope, whose
 * `status` is authoritative) or from something in front of it (a proxy
 * answering 502 with HTML: `envelope` is false and `status` is the HTTP status).
 */
export class ColoniesError extends ColoniesClientError {
  /** The status inside the error envelope (equal to the HTTP status on the real server), else the HTTP status. */
  readonly status: number;
  /** The HTTP status code of the reply. */
  readonly httpStatus: number;
  /** The server's `message` (informative, not API), or the start of a non-envelope body. */
  readonly serverMessage: string;
  /** The request's payloadtype (e.g. `getprocessmsg`), so errors say which call failed. */
  readonly payloadtype: string;
  /** True when the reply was a Colonies error envelope. */
  readonly envelope: boolean;

  constructor(init: {
    status: number;
    httpStatus: number;
    serverMessage: string;
    payloadtype: string;
    envelope: boolean;
    retryable?: boolean;
  }) {
    const retryable = init.retryable ?? isRetryableStatus(init.status, init.envelope);
    super('COLONIES_RPC_ERROR', `${init.payloadtype || 'request'} failed: ${init.status} ${init.serverMessage}`.trimEnd(), {
      retryable,
    });
    this.name = 'ColoniesError';
    this.status = init.status;
    this.httpStatus = init.httpStatus;
    this.serverMessage = init.serverMessage;
    this.payloadtype = init.payloadtype;
    this.envelope = init.envelope;
    RPC_ERROR.mark(this);
  }

  static override isInstance(value: unknown): value is ColoniesError {
    return RPC_ERROR.isMarked(value);
  }

  /**
   * `assignprocessmsg` found nothing to do (the normal long-poll outcome): a
   * Colonies 404 envelope, not a proxy's 404 page for a wrong URL.
   */
  get isNoProcessAvailable(): boolean {
    return this.status === 404 && this.envelope && this.payloadtype === 'assignprocessmsg';
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }

  get isForbidden(): boolean {
    return this.status === 403;
  }
}

/**
 * Which statuses are worth repeating. 502/503/504 (gateway / unavailable) and
 * 429 always; other 5xx only when they do not come from a Colonies envelope:
 * the Colonies server uses its own 500 envelopes for deterministic failures
 * (unknown snapshot, logs of an unknown process, approve of an unknown
 * executor), which a retry would only delay.
 */
export function isRetryableStatus(status: number, envelope: boolean): boolean {
  if (status === 429 || status === 502 || status === 503 || status === 504) return true;
  return status >= 500 && !envelope;
}

export class ColoniesNetworkError extends ColoniesClientError {
  /**
   * False when the request certainly never reached the server (connection
   * refused, DNS failure): safe to resend even a write. True when it may have
   * been received (reset mid-request, socket closed before the reply).
   */
  readonly mayHaveBeenSent: boolean;
  readonly payloadtype: string;

  constructor(payloadtype: string, detail: string, mayHaveBeenSent: boolean, cause?: unknown) {
    super('COLONIES_NETWORK_ERROR', `${payloadtype || 'request'}: network error: ${detail}`, { retryable: true, cause });
    this.name = 'ColoniesNetworkError';
    this.mayHaveBeenSent = mayHaveBeenSent;
    this.payloadtype = payloadtype;
    NETWORK_ERROR.mark(this);
  }

  static override isInstance(value: unknown): value is ColoniesNetworkError {
    return NETWORK_ERROR.isMarked(value);
  }
}

export class ColoniesTimeoutError extends ColoniesClientError {
  readonly timeoutMs: number;
  readonly payloadtype: string;

  constructor(payloadtype: string, timeoutMs: number) {
    super('COLONIES_TIMEOUT', `${payloadtype || 'request'}: no reply within ${timeoutMs} ms`, { retryable: true });
    this.name = 'ColoniesTimeoutError';
    this.timeoutMs = timeoutMs;
    this.payloadtype = payloadtype;
    TIMEOUT_ERROR.mark(this);
  }

  static override isInstance(value: unknown): value is ColoniesTimeoutError {
    return TIMEOUT_ERROR.isMarked(value);
  }
}

export class ColoniesAbortError extends ColoniesClientError {
  constructor(what: string, reason?: unknown) {
    super('COLONIES_ABORTED', `${what}: aborted`, { cause: reason });
    // The conventional name, so `err.name === 'AbortError'` checks work.
    this.name = 'AbortError';
    ABORT_ERROR.mark(this);
  }

  static override isInstance(value: unknown): value is ColoniesAbortError {
    return ABORT_ERROR.isMarked(value);
  }
}

export class ColoniesBadReplyError extends ColoniesClientError {
  readonly payloadtype: string;
  readonly httpStatus: number;

  constructor(payloadtype: string, httpStatus: number, detail: string, cause?: unknown) {
    super('COLONIES_BAD_REPLY', `${payloadtype || 'request'}: unexpected reply (HTTP ${httpStatus}): ${detail}`, { cause });
    this.name = 'ColoniesBadReplyError';
    this.payloadtype = payloadtype;
    this.httpStatus = httpStatus;
    BAD_REPLY_ERROR.mark(this);
  }

  static override isInstance(value: unknown): value is ColoniesBadReplyError {
    return BAD_REPLY_ERROR.isMarked(value);
  }
}

export class ColoniesReplyTooLargeError extends ColoniesClientError {
  readonly payloadtype: string;
  /** The limit that was exceeded, in bytes of the HTTP body (or WebSocket frame). */
  readonly limitBytes: number;

  constructor(payloadtype: string, limitBytes: number) {
    super(
      'COLONIES_REPLY_TOO_LARGE',
      `${payloadtype || 'request'}: the reply is larger than ${limitBytes} bytes (the client's maxReplyBytes); it was not read`,
    );
    this.name = 'ColoniesReplyTooLargeError';
    this.payloadtype = payloadtype;
    this.limitBytes = limitBytes;
    REPLY_TOO_LARGE.mark(this);
  }

  static override isInstance(value: unknown): value is ColoniesReplyTooLargeError {
    return REPLY_TOO_LARGE.isMarked(value);
  }
}

/**
 * The server sent a process this client cannot decode (nested deeper than the
 * parser allows, not an object, …). `processId` is recovered from the raw
 * text when it can be, so that an executor can close the process failed
 * instead of leaving it RUNNING, and a listing can name it. Never retryable:
 * the same bytes will come back.
 */
export class UnreadableProcessError extends ColoniesClientError {
  /** The process's id, when it could be read from the raw reply. */
  readonly processId: string | undefined;
  readonly payloadtype: string;
  /** Why it could not be decoded (one line). */
  readonly reason: string;

  constructor(init: { payloadtype: string; reason: string; processId?: string | undefined; cause?: unknown }) {
    const which = init.processId === undefined ? 'a process' : `process ${init.processId}`;
    super('UNREADABLE_PROCESS', `${init.payloadtype}: ${which} could not be read: ${init.reason}`, { cause: init.cause });
    this.name = 'UnreadableProcessError';
    this.processId = init.processId;
    this.payloadtype = init.payloadtype;
    this.reason = init.reason;
    UNREADABLE_PROCESS.mark(this);
  }

  static override isInstance(value: unknown): value is UnreadableProcessError {
    return UNREADABLE_PROCESS.isMarked(value);
  }
}

export class ColoniesArgumentError extends ColoniesClientError {
  constructor(message: string) {
    super('COLONIES_INVALID_ARGUMENT', message);
    this.name = 'ColoniesArgumentError';
    ARGUMENT_ERROR.mark(this);
  }

  static override isInstance(value: unknown): value is ColoniesArgumentError {
    return ARGUMENT_ERROR.isMarked(value);
  }
}

export interface ConfigIssue {
  /** The variable (or option) at fault, e.g. `COLONIES_SERVER_PORT`. */
  variable: string;
  /** What is wrong and what it should look like. Never contains a key. */
  message: string;
}

export class ColoniesConfigError extends ColoniesClientError {
  /** The first variable at fault. */
  readonly variable: string;
  /** Every problem found. */
  readonly issues: ConfigIssue[];

  constructor(variable: string, message: string, issues?: ConfigIssue[]) {
    super('COLONIES_CONFIG_ERROR', message);
    this.name = 'ColoniesConfigError';
    this.variable = variable;
    this.issues = issues ?? [{ variable, message }];
    CONFIG_ERROR.mark(this);
  }

  static override isInstance(value: unknown): value is ColoniesConfigError {
    return CONFIG_ERROR.isMarked(value);
  }
}
