import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { defineErrorMarker, hasErrorMarker, PollinatorError, POLLINATOR_ERROR_MARKER } from './index';
import type * as PollinatorErrorModule from './pollinator-error';

const EXAMPLE_MARKER = defineErrorMarker<ExampleError>('ExampleError');

class ExampleError extends PollinatorError {
  constructor(message: string) {
    super('EXAMPLE_FAILED', `[pollinator] [example] ${message}`);
    this.name = 'ExampleError';
    EXAMPLE_MARKER.mark(this);
  }

  static override isInstance(value: unknown): value is ExampleError {
    return EXAMPLE_MARKER.isMarked(value);
  }
}

const SIBLING_MARKER = defineErrorMarker<SiblingError>('SiblingError');

class SiblingError extends PollinatorError {
  constructor() {
    super('SIBLING_FAILED', 'sibling');
    SIBLING_MARKER.mark(this);
  }

  static override isInstance(value: unknown): value is SiblingError {
    return SIBLING_MARKER.isMarked(value);
  }
}

describe('PollinatorError', () => {
  it('carries a code, a message, details and a cause', () => {
    const cause = new Error('disk full');
    const error = new PollinatorError('SOMETHING_FAILED', 'it failed', { details: { path: '/tmp/x' }, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('PollinatorError');
    expect(error.code).toBe('SOMETHING_FAILED');
    expect(error.message).toBe('it failed');
    expect(error.details).toEqual({ path: '/tmp/x' });
    expect(error.cause).toBe(cause);
  });

  it('has no details and no cause property when none were given', () => {
    const error = new PollinatorError('SOMETHING_FAILED', 'it failed');
    expect('details' in error).toBe(false);
    expect('cause' in error).toBe(false);
  });

  it('is recognised by isInstance; plain errors and look-alikes are not', () => {
    expect(PollinatorError.isInstance(new PollinatorError('X', 'x'))).toBe(true);
    for (const value of [new Error('x'), { code: 'X', name: 'PollinatorError' }, null, undefined, 'PollinatorError', 42]) {
      expect(PollinatorError.isInstance(value)).toBe(false);
    }
  });

  it('carries Symbol.for("pollinator.error") as an own enumerable marker', () => {
    const error = new PollinatorError('X', 'x');
    expect(Object.getOwnPropertySymbols(error)).toContain(Symbol.for('pollinator.error'));
    expect(POLLINATOR_ERROR_MARKER.symbol).toBe(Symbol.for('pollinator.error'));
    expect(hasErrorMarker(error, Symbol.for('pollinator.error'))).toBe(true);
  });
});

describe('subclass markers', () => {
  it('each subclass matches itself and the base, never a sibling or its base', () => {
    const example = new ExampleError('boom');
    const sibling = new SiblingError();
    expect(ExampleError.isInstance(example)).toBe(true);
    expect(PollinatorError.isInstance(example)).toBe(true);
    expect(ExampleError.isInstance(sibling)).toBe(false);
    expect(SiblingError.isInstance(example)).toBe(false);
    expect(ExampleError.isInstance(new PollinatorError('EXAMPLE_FAILED', 'same code, other class'))).toBe(false);
    expect(example.code).toBe('EXAMPLE_FAILED');
    expect(example.name).toBe('ExampleError');
  });

  it('uses Symbol.for("pollinator.error.<name>"), so it is the same symbol in every copy', () => {
    expect(EXAMPLE_MARKER.symbol).toBe(Symbol.for('pollinator.error.ExampleError'));
    expect(defineErrorMarker('ExampleError').symbol).toBe(EXAMPLE_MARKER.symbol);
  });

  it('refuses a class name that would make an ambiguous marker', () => {
    for (const name of ['', 'Example Error', 'a.b', '1Error']) {
      expect(() => defineErrorMarker(name), name).toThrow(TypeError);
    }
  });

  it('works across two loaded copies of the package, where instanceof does not', async () => {
    // A query string makes vite load a second, independent instance of the module.
    const secondCopy = './pollinator-error?second-copy';
    const second = (await import(secondCopy)) as typeof PollinatorErrorModule;
    expect(second.PollinatorError).not.toBe(PollinatorError);
    const fromSecondCopy = new second.PollinatorError('X', 'from the other copy');
    expect(fromSecondCopy instanceof PollinatorError).toBe(false);
    expect(PollinatorError.isInstance(fromSecondCopy)).toBe(true);
    expect(second.PollinatorError.isInstance(new ExampleError('x'))).toBe(true);
  });

  it('works across realms (an error made in a node:vm context)', () => {
    const foreign: unknown = runInNewContext(
      "const error = new Error('x'); error[Symbol.for('pollinator.error')] = true; error[Symbol.for('pollinator.error.ExampleError')] = true; error",
    );
    expect(foreign instanceof Error).toBe(false);
    expect(PollinatorError.isInstance(foreign)).toBe(true);
    expect(ExampleError.isInstance(foreign)).toBe(true);
    expect(SiblingError.isInstance(foreign)).toBe(false);
  });
});
