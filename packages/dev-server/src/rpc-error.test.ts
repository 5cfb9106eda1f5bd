import { PollinatorError } from '@pollinator/errors';
import { describe, expect, it } from 'vitest';
import { InvalidJsonError } from './json-reader';
import { badRequest, forbidden, notFound, RpcError, rpcErrorCode, serverError } from './rpc-error';
import { StoredRowError } from './stored-rows';

describe('dev-server errors', () => {
  it('derive from PollinatorError with a stable code per HTTP status, and keep the status', () => {
    const cases: [RpcError, number, string][] = [
      [badRequest('b'), 400, 'DEV_SERVER_BAD_REQUEST'],
      [forbidden('f'), 403, 'DEV_SERVER_FORBIDDEN'],
      [notFound('n'), 404, 'DEV_SERVER_NOT_FOUND'],
      [new RpcError(408, 't'), 408, 'DEV_SERVER_TIMEOUT'],
      [new RpcError(413, 'l'), 413, 'DEV_SERVER_BODY_TOO_LARGE'],
      [serverError('s'), 500, 'DEV_SERVER_INTERNAL'],
      [new RpcError(503, 'p'), 503, 'DEV_SERVER_UNAVAILABLE'],
    ];
    for (const [error, status, code] of cases) {
      expect(error.status).toBe(status);
      expect(error.code).toBe(code);
      expect(error.name).toBe('RpcError');
      expect(PollinatorError.isInstance(error)).toBe(true);
      expect(RpcError.isInstance(error)).toBe(true);
    }
    expect(rpcErrorCode(418)).toBe('DEV_SERVER_ERROR');
  });

  it('keeps the Go server message unprefixed (clients compare it)', () => {
    expect(forbidden('Access denied, not server owner').message).toBe('Access denied, not server owner');
  });

  it('tells its classes apart through markers, not instanceof', () => {
    const invalid = new InvalidJsonError('field x: expected string', 'x');
    expect(invalid.code).toBe('INVALID_JSON');
    expect(invalid.field).toBe('x');
    expect(InvalidJsonError.isInstance(invalid)).toBe(true);
    expect(RpcError.isInstance(invalid)).toBe(false);
    expect(PollinatorError.isInstance(invalid)).toBe(true);
    const stored = new StoredRowError('processes', 'column state is string, expected integer');
    expect(stored.code).toBe('DEV_SERVER_STORED_ROW');
    expect(StoredRowError.isInstance(stored)).toBe(true);
    expect(InvalidJsonError.isInstance(stored)).toBe(false);
    // A plain copy carrying the marker (another copy of the package, another realm) still counts.
    expect(RpcError.isInstance({ ...badRequest('x') })).toBe(true);
  });
});
