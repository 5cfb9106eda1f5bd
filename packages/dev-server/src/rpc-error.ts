import { defineErrorMarker, PollinatorError } from '@pollinator/errors';

const RPC_ERROR = defineErrorMarker<RpcError>('RpcError');

/** Stable codes, one per HTTP status the dev-server answers with. */
export type RpcErrorCode =
  | 'DEV_SERVER_BAD_REQUEST'
  | 'DEV_SERVER_FORBIDDEN'
  | 'DEV_SERVER_NOT_FOUND'
  | 'DEV_SERVER_TIMEOUT'
  | 'DEV_SERVER_BODY_TOO_LARGE'
  | 'DEV_SERVER_INTERNAL'
  | 'DEV_SERVER_UNAVAILABLE'
  | 'DEV_SERVER_ERROR';

const CODE_BY_STATUS: Readonly<Record<number, RpcErrorCode>> = {
  400: 'DEV_SERVER_BAD_REQUEST',
  403: 'DEV_SERVER_FORBIDDEN',
  404: 'DEV_SERVER_NOT_FOUND',
  408: 'DEV_SERVER_TIMEOUT',
  413: 'DEV_SERVER_BODY_TOO_LARGE',
  500: 'DEV_SERVER_INTERNAL',
  503: 'DEV_SERVER_UNAVAILABLE',
};

/** The stable code of an error reply with HTTP status `status`. */
export function rpcErrorCode(status: number): RpcErrorCode {
  return CODE_BY_STATUS[status] ?? 'DEV_SERVER_ERROR';
}

/**
 * A Colonies error reply: `{status, message}` in an `error` envelope with the
 * same HTTP status. The message is the Go server's text, unprefixed, because
 * clients compare it; the code follows from the status.
 */
export class RpcError extends PollinatorError {
  declare readonly code: RpcErrorCode;
  readonly status: number;

  constructor(status: number, message: string) {
    super(rpcErrorCode(status), message);
    this.name = 'RpcError';
    this.status = status;
    RPC_ERROR.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is RpcError {
    return RPC_ERROR.isMarked(value);
  }
}

export const badRequest = (message: string): RpcError => new RpcError(400, message);
export const forbidden = (message: string): RpcError => new RpcError(403, message);
export const notFound = (message: string): RpcError => new RpcError(404, message);
export const serverError = (message: string): RpcError => new RpcError(500, message);

export const notMember = (colonyName: string): RpcError =>
  forbidden(`Access denied, not a member of Colony with name <${colonyName}>`);
export const unknownColony = (colonyName: string): RpcError =>
  forbidden(`Colony with name <${colonyName}> does not exists`);
