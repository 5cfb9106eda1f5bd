import { PollinatorError } from '@pollinator/errors';
import { describe, expect, it } from 'vitest';
import {
  ColoniesAbortError,
  ColoniesArgumentError,
  ColoniesBadReplyError,
  ColoniesClientError,
  ColoniesConfigError,
  ColoniesError,
  ColoniesNetworkError,
  ColoniesReplyTooLargeError,
  ColoniesTimeoutError,
  UnreadableProcessError,
} from './errors';
import { JsonTooDeepError } from './json-errors';

// One instance of each class, with the name and code it has always had.
const examples = [
  { error: new ColoniesClientError('COLONIES_BAD_REPLY', 'x'), type: ColoniesClientError, name: 'ColoniesClientError', code: 'COLONIES_BAD_REPLY' },
  {
    error: new ColoniesError({ status: 404, httpStatus: 404, serverMessage: 'no', payloadtype: 'getprocessmsg', envelope: true }),
    type: ColoniesError,
    name: 'ColoniesError',
    code: 'COLONIES_RPC_ERROR',
  },
  { error: new ColoniesNetworkError('getprocessmsg', 'refused', false), type: ColoniesNetworkError, name: 'ColoniesNetworkError', code: 'COLONIES_NETWORK_ERROR' },
  { error: new ColoniesTimeoutError('getprocessmsg', 10), type: ColoniesTimeoutError, name: 'ColoniesTimeoutError', code: 'COLONIES_TIMEOUT' },
  { error: new ColoniesAbortError('getprocessmsg'), type: ColoniesAbortError, name: 'AbortError', code: 'COLONIES_ABORTED' },
  { error: new ColoniesBadReplyError('getprocessmsg', 200, 'odd'), type: ColoniesBadReplyError, name: 'ColoniesBadReplyError', code: 'COLONIES_BAD_REPLY' },
  { error: new ColoniesReplyTooLargeError('getprocessmsg', 1024), type: ColoniesReplyTooLargeError, name: 'ColoniesReplyTooLargeError', code: 'COLONIES_REPLY_TOO_LARGE' },
  { error: new UnreadableProcessError({ payloadtype: 'getprocessmsg', reason: 'deep' }), type: UnreadableProcessError, name: 'UnreadableProcessError', code: 'UNREADABLE_PROCESS' },
  { error: new ColoniesArgumentError('bad'), type: ColoniesArgumentError, name: 'ColoniesArgumentError', code: 'COLONIES_INVALID_ARGUMENT' },
  { error: new ColoniesConfigError('COLONIES_SERVER_PORT', 'bad port'), type: ColoniesConfigError, name: 'ColoniesConfigError', code: 'COLONIES_CONFIG_ERROR' },
] as const;

describe('client errors', () => {
  it.each(examples)('$name is a PollinatorError and a ColoniesClientError, with its code', ({ error, name, code }) => {
    expect(error).toBeInstanceOf(PollinatorError);
    expect(PollinatorError.isInstance(error)).toBe(true);
    expect(ColoniesClientError.isInstance(error)).toBe(true);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.message.startsWith('[pollinator] [colonies-client] ')).toBe(true);
  });

  it('each class recognises only its own instances (and its subclasses\')', () => {
    for (const { error, type } of examples) {
      for (const other of examples) {
        const expected = other.error instanceof type;
        expect(type.isInstance(other.error), `${type.name}.isInstance(${other.error.constructor.name})`).toBe(expected);
      }
      expect(type.isInstance(new PollinatorError(error.code, 'same code, other class'))).toBe(false);
    }
  });

  it('carries the Symbol.for markers older copies of the package look for', () => {
    const error = new ColoniesError({ status: 500, httpStatus: 500, serverMessage: '', payloadtype: 'x', envelope: true });
    for (const name of ['pollinator.error', 'pollinator.error.ColoniesClientError', 'pollinator.error.ColoniesError']) {
      expect(Symbol.for(name) in error, name).toBe(true);
    }
    expect(Symbol.for('pollinator.error.ColoniesReplyTooLargeError') in new ColoniesReplyTooLargeError('x', 2048)).toBe(true);
    expect(Symbol.for('pollinator.error.UnreadableProcessError') in new UnreadableProcessError({ payloadtype: 'x', reason: 'y' })).toBe(true);
  });

  it('JsonTooDeepError stays a SyntaxError and is also recognised as a PollinatorError', () => {
    const error = new JsonTooDeepError(2, 3);
    expect(error).toBeInstanceOf(SyntaxError);
    expect(PollinatorError.isInstance(error)).toBe(true);
    expect(JsonTooDeepError.isInstance(error)).toBe(true);
    expect(ColoniesClientError.isInstance(error)).toBe(false);
    expect(error.code).toBe('COLONIES_JSON_TOO_DEEP');
  });
});
