import { describe, expect, it } from 'vitest';
import { EventChannel, startRun } from './event-channel';

describe('startRun / EventChannel', () => {
  it('keeps events emitted before iteration, ends with done, resolves the result', async () => {
    const run = startRun<string, number>(
      async (emit) => {
        emit('a');
        await new Promise((resolve) => setTimeout(resolve, 5));
        emit('b');
        return 7;
      },
      (result) => `done ${result}`,
    );
    expect(await run.result).toBe(7);
    const seen: string[] = [];
    for await (const event of run) seen.push(event);
    expect(seen).toEqual(['a', 'b', 'done 7']);
  });

  it('delivers events as they come to a waiting consumer', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const run = startRun<number, void>(async (emit) => {
      emit(1);
      await gate;
      emit(2);
    });
    const iterator = run[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ value: 1, done: false });
    const next = iterator.next();
    release();
    expect(await next).toEqual({ value: 2, done: false });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('lets the consumer stop early without stopping the run', async () => {
    const run = startRun<number, string>(async (emit) => {
      for (let index = 0; index < 5; index += 1) emit(index);
      return 'finished';
    });
    for await (const event of run) if (event === 1) break;
    expect(await run.result).toBe('finished');
  });

  it('rejects the result for programming errors, and ends the events', async () => {
    const run = startRun<number, void>(async () => {
      throw new TypeError('bad options');
    });
    await expect(run.result).rejects.toThrow('bad options');
    const seen: number[] = [];
    for await (const event of run) seen.push(event);
    expect(seen).toEqual([]);
  });

  it('can be iterated only once', () => {
    const channel = new EventChannel<number>();
    channel[Symbol.asyncIterator]();
    expect(() => channel[Symbol.asyncIterator]()).toThrow(/only once/);
  });
});
