import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { completeUtf8Length, type JobStatus, type LogChunk } from '@pollinator/backend';
import { decodeCursor, encodeCursor } from './log-cursor';
import { MAX_LINE_BYTES } from './log-framing';
import { followJobLogs, type LogSource } from './pod-logs';

/** A scripted log source: pods with one container each, their output fed by the test. */
function scripted(podNames: string[]) {
  const streams = new Map<string, PassThrough>();
  const written = new Map<string, Buffer>(podNames.map((name) => [name, Buffer.alloc(0)]));
  let final: JobStatus | undefined;
  let terminated = false;
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((listener) => listener());
  const source: LogSource = {
    async pods() {
      return podNames.map(
        (name, index) =>
          ({
            metadata: { name, annotations: { 'batch.kubernetes.io/job-completion-index': String(index) } },
            status: { phase: terminated ? 'Succeeded' : 'Running', containerStatuses: [{ name: 'task-0', state: terminated ? { terminated: { exitCode: 0 } } : { running: {} } }] },
          }) as unknown as V1Pod,
      );
    },
    async status() {
      return final ?? { state: 'running', nodes: [] };
    },
    async open(pod) {
      // Like the kubelet: everything written so far, then live output until the container ends.
      const stream = new PassThrough();
      stream.write(written.get(pod)!);
      if (terminated) stream.end();
      else streams.set(pod, stream);
      return stream as unknown as IncomingMessage;
    },
    nextChange(timeoutMs, signal) {
      return new Promise((resolve) => {
        const done = () => {
          listeners.delete(done);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        listeners.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    },
  };
  return {
    source,
    write(pod: string, data: string | Buffer) {
      const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data);
      written.set(pod, Buffer.concat([written.get(pod)!, buffer]));
      streams.get(pod)?.write(buffer);
    },
    /** A dropped connection: the stream ends while the container runs. */
    drop(pod: string) {
      streams.get(pod)?.end();
      streams.delete(pod);
    },
    finish() {
      terminated = true;
      final = { state: 'succeeded', exitCode: 0 };
      for (const stream of streams.values()) stream.end();
      streams.clear();
      changed();
    },
  };
}

async function collect(iterable: AsyncIterable<LogChunk>): Promise<LogChunk[]> {
  const chunks: LogChunk[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('followJobLogs', () => {
  it('passes one stream through unprefixed, never splitting a UTF-8 character, and resumes exactly', async () => {
    const job = scripted(['p0']);
    const reading = collect(followJobLogs(job.source, { nodes: 1, processesPerNode: 1 }, '', undefined, { retryDelayMs: 10 }));
    await tick();
    const euro = Buffer.from('€');
    job.write('p0', Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]));
    await tick();
    job.write('p0', Buffer.concat([euro.subarray(1), Buffer.from(' progress\r50%')]));
    await tick();
    job.drop('p0');
    await tick();
    job.write('p0', '\r100%\n');
    await tick();
    job.finish();
    const chunks = await reading;
    const text = chunks.map((chunk) => chunk.text).join('');
    expect(text).toBe('a€ progress\r50%\r100%\n');
    expect(chunks.every((chunk) => !chunk.text.includes('\uFFFD'))).toBe(true);
    for (const [index, chunk] of chunks.entries()) {
      const rest = await collect(followJobLogs(job.source, { nodes: 1, processesPerNode: 1 }, chunk.cursor));
      expect(chunks.slice(0, index + 1).map((entry) => entry.text).join('') + rest.map((entry) => entry.text).join('')).toBe(text);
    }
  });

  it('prefixes whole lines per pod, flushes the last partial line, and caps very long lines', async () => {
    const job = scripted(['job-0-aaaaa', 'job-1-bbbbb']);
    const reading = collect(followJobLogs(job.source, { nodes: 2, processesPerNode: 1 }, '', undefined, { retryDelayMs: 10 }));
    await tick();
    job.write('job-0-aaaaa', 'hello ');
    job.write('job-1-bbbbb', 'one\ntwo');
    await tick();
    job.write('job-0-aaaaa', 'world\n');
    job.write('job-1-bbbbb', 'x'.repeat(MAX_LINE_BYTES + 10));
    await tick();
    job.write('job-0-aaaaa', 'no newline at the end');
    await tick();
    job.finish();
    const text = (await reading).map((chunk) => chunk.text).join('');
    const lines = text.split('\n');
    expect(lines).toContain('[pod/job-0-aaaaa/task-0] hello world');
    expect(lines).toContain('[pod/job-1-bbbbb/task-0] one');
    expect(lines).toContain('[pod/job-0-aaaaa/task-0] no newline at the end');
    expect(lines.filter((line) => line.startsWith('[pod/job-1-bbbbb/task-0] ')).map((line) => line.length - '[pod/job-1-bbbbb/task-0] '.length)).toEqual([
      3,
      3 + MAX_LINE_BYTES + 10,
    ]);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('encodes cursors as sorted per-stream byte offsets and rejects garbage', () => {
    expect(encodeCursor({ 'b/c': 2, 'a/c': 1 })).toBe('{"a/c":1,"b/c":2}');
    expect(decodeCursor('')).toEqual({});
    expect(decodeCursor('{"a/c":1}')).toEqual({ 'a/c': 1 });
    expect(() => decodeCursor('17')).toThrow(/invalid log cursor/);
    expect(() => decodeCursor('{"a":-1}')).toThrow(/invalid log cursor/);
  });

  it('finds UTF-8 character boundaries', () => {
    expect(completeUtf8Length(Buffer.from('abc'))).toBe(3);
    const snow = Buffer.from('a☃');
    expect(completeUtf8Length(snow.subarray(0, 2))).toBe(1);
    expect(completeUtf8Length(snow.subarray(0, 3))).toBe(1);
    expect(completeUtf8Length(snow)).toBe(4);
    const emoji = Buffer.from('🐝');
    expect(completeUtf8Length(emoji.subarray(0, 3))).toBe(0);
  });
});
