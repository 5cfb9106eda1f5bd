import { describe, expect, it } from 'vitest';
import { LogBatcher, type LogBatch } from './executor-log-batcher';

function collector() {
  const batches: LogBatch[] = [];
  return { batches, send: async (batch: LogBatch) => void batches.push(batch) };
}

describe('LogBatcher', () => {
  it('sends the first line at once, batches a burst, and keeps a partial line until its newline', async () => {
    const { batches, send } = collector();
    const batcher = new LogBatcher({ send, flushIntervalMs: 40, partialLineMs: 10_000 });
    batcher.push('one\ntw', '7');
    batcher.push('o\nthr', '12');
    batcher.push('ee\nfour\nfi', '23');
    await batcher.idle();
    // Leading edge: the first complete line leaves immediately.
    expect(batches.map((batch) => batch.text)).toEqual(['one\n']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await batcher.idle();
    expect(batches.map((batch) => batch.text)).toEqual(['one\n', 'two\nthree\nfour\n']);
    // Each batch carries the cursor of the last chunk it completes (none for the first).
    expect(batches[0]!.cursor).toBeUndefined();
    expect(batches[1]!.cursor).toBe('12');
    batcher.push('ve\n', '26');
    await batcher.close();
    expect(batches.map((batch) => batch.text).join('')).toBe('one\ntwo\nthree\nfour\nfive\n');
    expect(batches.at(-1)!.cursor).toBe('26');
  });

  it('flushes the final partial line on close', async () => {
    const { batches, send } = collector();
    const batcher = new LogBatcher({ send, flushIntervalMs: 1000 });
    batcher.push('no newline at the end', '21');
    await batcher.close();
    expect(batches).toEqual([{ text: 'no newline at the end', cursor: '21' }]);
  });

  it('caps a batch at maxBatchBytes, splitting at newlines, and cuts an overlong line on a character boundary', async () => {
    const { batches, send } = collector();
    const batcher = new LogBatcher({ send, maxBatchBytes: 10, flushIntervalMs: 1000 });
    batcher.push('aaaa\nbbbb\ncccc\n', '15');
    batcher.push('é'.repeat(8), '31');
    await batcher.close();
    for (const batch of batches) expect(Buffer.byteLength(batch.text)).toBeLessThanOrEqual(10);
    expect(batches.map((batch) => batch.text).join('')).toBe('aaaa\nbbbb\ncccc\n' + 'é'.repeat(8));
    expect(batches[0]!.text).toBe('aaaa\nbbbb\n');
    expect(batches.at(-1)!.cursor).toBe('31');
  });

  it('sends a lone partial line after partialLineMs', async () => {
    const { batches, send } = collector();
    const batcher = new LogBatcher({ send, flushIntervalMs: 10, partialLineMs: 30 });
    batcher.push('progress 50%', '12');
    await new Promise((resolve) => setTimeout(resolve, 120));
    await batcher.idle();
    expect(batches.map((batch) => batch.text)).toEqual(['progress 50%']);
    await batcher.close();
  });
});
