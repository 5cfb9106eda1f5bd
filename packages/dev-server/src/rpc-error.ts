/** A Colonies error reply: `{status, message}` in an `error` envelope with the same HTTP status. */
export class RpcError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'RpcError';
    this.status = status;
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
