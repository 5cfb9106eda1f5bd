import { describe, expect, it } from 'vitest';
import { ForwardLinkError } from './link-errors';
import { createMemoryLinkPair } from './memory-link';

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<number[][]> {
  const payloads: number[][] = [];
  for await (const payload of iterable) payloads.push([...payload]);
  return payloads;
}

describe('memory link pair', () => {
  it('delivers writes in order to the other end, then the end with its reason', async () => {
    const [a, b] = createMemoryLinkPair();
    const received = collect(b.read());
    await a.write(new Uint8Array([1]));
    await a.write(new Uint8Array([2, 3]));
    await a.close('done here');
    expect(await received).toEqual([[1], [2, 3]]);
    expect(await a.ended).toEqual({ kind: 'closed', by: 'us', reason: 'done here' });
    expect(await b.ended).toEqual({ kind: 'closed', by: 'peer', reason: 'done here' });
    await expect(b.write(new Uint8Array([4]))).rejects.toSatisfy((error) => ForwardLinkError.isInstance(error) && error.code === 'FORWARD_LINK_ENDED');
  });

  it('copies a write, so the writer may reuse its buffer', async () => {
    const [a, b] = createMemoryLinkPair();
    const received = collect(b.read());
    const buffer = new Uint8Array([5]);
    await a.write(buffer);
    buffer[0] = 6;
    await b.close();
    await a.close();
    expect(await received).toEqual([[5]]);
  });

  it('refuses a write over its append limit, as a too-large append would be', async () => {
    const [a] = createMemoryLinkPair({ maxAppendBytes: 10 });
    await expect(a.write(new Uint8Array(11))).rejects.toThrow("a write of 11 bytes is over the link's 10-byte append limit");
  });

  it('holds writers back while the reader has too much unread (backpressure), counting it as pending', async () => {
    const [a, b] = createMemoryLinkPair({ maxUnreadBytes: 4 });
    await a.write(new Uint8Array(4));
    let second = false;
    const writing = a.write(new Uint8Array(2)).then(() => {
      second = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBe(false);
    expect(a.pendingBytes).toBe(2);
    const iterator = b.read()[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toHaveLength(4);
    await writing;
    expect(a.pendingBytes).toBe(0);
    await a.close();
  });
});
