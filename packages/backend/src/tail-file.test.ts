import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendError } from './backend-error';
import type { LogChunk } from './backend';
import { byteOffsetCursor, fileRangeReader, tailFile, type TailFileOptions } from './tail-file';

/** A growing in-memory file and a job that becomes final when told. */
function fakeJob(initial = '') {
  let content = Buffer.from(initial, 'utf8');
  let final = false;
  return {
    append(text: string | Buffer) {
      content = Buffer.concat([content, typeof text === 'string' ? Buffer.from(text, 'utf8') : text]);
    },
    finish() {
      final = true;
    },
    read: async (offset: number, length: number) => content.subarray(offset, offset + length),
    isFinal: async () => final,
  };
}

async function collect(options: TailFileOptions): Promise<LogChunk[]> {
  const chunks: LogChunk[] = [];
  for await (const chunk of tailFile(options)) chunks.push(chunk);
  return chunks;
}

const text = (chunks: LogChunk[]) => chunks.map((chunk) => chunk.text).join('');

describe('byteOffsetCursor', () => {
  it('reads "" as 0 and refuses what is not a byte offset', () => {
    expect(byteOffsetCursor('x', '')).toBe(0);
    expect(byteOffsetCursor('x', '12')).toBe(12);
    for (const bad of ['-1', 'abc', '1.5', '1e3', '99999999999999999999']) {
      expect(() => byteOffsetCursor('x', bad), bad).toThrow(BackendError);
    }
    expect(() => byteOffsetCursor('x', 'abc')).toThrow('invalid log cursor "abc"');
  });
});

describe('tailFile', () => {
  it('yields output as it appears and ends once the job is final and all was read', async () => {
    const job = fakeJob('one\n');
    const chunks: LogChunk[] = [];
    const following = (async () => {
      for await (const chunk of tailFile({ backend: 'x', from: '', pollMs: 5, ...job })) chunks.push(chunk);
    })();
    await new Promise((resolve) => setTimeout(resolve, 30));
    job.append('two\n');
    await new Promise((resolve) => setTimeout(resolve, 30));
    job.append('three');
    job.finish();
    await following;
    expect(text(chunks)).toBe('one\ntwo\nthree');
    expect(chunks.at(-1)!.cursor).toBe(String(Buffer.byteLength('one\ntwo\nthree')));
  });

  it('resumes from a cursor without repeating or skipping output', async () => {
    const job = fakeJob('hello world');
    job.finish();
    expect(text(await collect({ backend: 'x', from: '6', pollMs: 5, ...job }))).toBe('world');
  });

  it('never splits a character between chunks, in small chunks or when the job is cut off mid-character', async () => {
    const job = fakeJob();
    const euro = Buffer.from('€', 'utf8');
    job.append(Buffer.concat([Buffer.from('ab'), euro.subarray(0, 2)]));
    const chunks: LogChunk[] = [];
    const following = (async () => {
      for await (const chunk of tailFile({ backend: 'x', from: '', pollMs: 5, maxChunkBytes: 4, ...job })) chunks.push(chunk);
    })();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(chunks.map((chunk) => chunk.text)).toEqual(['ab']);
    job.append(Buffer.concat([euro.subarray(2), Buffer.from('😀😀x')]));
    job.finish();
    await following;
    expect(text(chunks)).toBe('ab€😀😀x');
    for (const chunk of chunks) expect(chunk.text).not.toContain('\uFFFD');
  });

  it('yields whole lines only while the job runs when asked, and the rest at the end', async () => {
    const job = fakeJob('first\nhalf');
    const chunks: LogChunk[] = [];
    const following = (async () => {
      for await (const chunk of tailFile({ backend: 'x', from: '', pollMs: 5, wholeLines: true, ...job })) chunks.push(chunk);
    })();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(chunks.map((chunk) => chunk.text)).toEqual(['first\n']);
    job.append(' line\nlast');
    job.finish();
    await following;
    expect(chunks.map((chunk) => chunk.text)).toEqual(['first\n', 'half line\nlast']);
  });

  it('cuts a line longer than a chunk at a character while the job runs', async () => {
    const job = fakeJob('ééééé');
    const chunks: LogChunk[] = [];
    const following = (async () => {
      for await (const chunk of tailFile({ backend: 'x', from: '', pollMs: 5, wholeLines: true, maxChunkBytes: 5, ...job }))
        chunks.push(chunk);
    })();
    await new Promise((resolve) => setTimeout(resolve, 30));
    job.finish();
    await following;
    expect(chunks[0]!.text).toBe('éé');
    expect(text(chunks)).toBe('ééééé');
  });

  it('looks again after the end when output may lag (settleReads), and picks up what came late', async () => {
    const job = fakeJob('early\n');
    job.finish();
    let reads = 0;
    const chunks = await collect({
      backend: 'x',
      from: '',
      pollMs: 5,
      settleReads: 1,
      isFinal: job.isFinal,
      read: async (offset, length) => {
        reads += 1;
        if (reads === 3) job.append('late\n'); // the first look after the end finds output a shared filesystem delivered late
        return job.read(offset, length);
      },
    });
    expect(text(chunks)).toBe('early\nlate\n');
  });

  it('returns when the signal aborts, without throwing', async () => {
    const job = fakeJob('running\n');
    const controller = new AbortController();
    const chunks: LogChunk[] = [];
    const following = (async () => {
      for await (const chunk of tailFile({ backend: 'x', from: '', pollMs: 10_000, signal: controller.signal, ...job }))
        chunks.push(chunk);
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    await following;
    expect(text(chunks)).toBe('running\n');
  });
});

describe('fileRangeReader', () => {
  let directory: string | undefined;
  afterEach(() => {
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('reads ranges of a file that may appear later, and closes', async () => {
    directory = mkdtempSync(join(tmpdir(), 'tail-file-'));
    const path = join(directory, 'output.log');
    const read = fileRangeReader(path);
    expect(await read(0, 10)).toBeUndefined();
    writeFileSync(path, 'abc');
    appendFileSync(path, 'def');
    expect(Buffer.from((await read(2, 3))!).toString()).toBe('cde');
    expect((await read(6, 3))!.length).toBe(0);
    await read.close();
    await read.close();
  });
});
