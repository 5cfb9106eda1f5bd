import { connect } from 'node:net';
import type { FileRange } from './in-order-hash';
import type { PlainGet } from './s3-direct';

/** Receives each piece of a range's body at its position; the next piece waits until it resolves. */
export type RangeSink = (piece: Buffer, position: number) => Promise<void>;

/** One socket read: the buffer every read of a connection reuses. */
const READ_BUFFER_BYTES = 64 * 1024;
/** How long a connection may stay silent before it counts as dropped. */
const STALLED_MS = 60_000;
/** An answer's status line and headers must fit in this. */
const MAX_HEAD_BYTES = 64 * 1024;
const ATTEMPTS = 3;
const RETRIED_NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED']);

/** An answer other than 2xx to a ranged GET (`$metadata.httpStatusCode` as the SDK's errors have it). */
export class RangeReplyError extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(status: number, what: string) {
    super(`S3 replied HTTP ${status} to the GET of ${what}`);
    this.name = status === 404 ? 'NoSuchKey' : 'RangeReplyError';
    this.$metadata = { httpStatusCode: status };
  }
}

/**
 * A ranged GET over plain HTTP/1.1 that reads every packet into one reused
 * 64 KiB buffer (`net`'s `onread`) and pauses the socket until `sink` has
 * taken the piece (written it to the file). Node's http module allocates a new
 * buffer for every read instead: 200 MiB downloaded left up to 64 MiB of
 * garbage (V8's external memory limit) in the process before a collection,
 * which was most of a download's peak memory. Failures before the first body
 * byte (a refused connection, a reset, a 5xx answer) are tried again, three
 * attempts in all, as the SDK and s3-direct do.
 */
export async function rawRangeGet(signed: () => PlainGet, range: FileRange, sink: RangeSink, signal: AbortSignal): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const progress = { started: false };
    try {
      await rawRangeGetOnce(signed(), range, sink, signal, progress);
      return;
    } catch (error) {
      if (progress.started || attempt >= ATTEMPTS || signal.aborted || !retried(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)));
    }
  }
}

function retried(error: unknown): boolean {
  const status = (error as Partial<RangeReplyError>).$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 && status <= 504;
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && RETRIED_NETWORK_CODES.has(code);
}

function rawRangeGetOnce(request: PlainGet, range: FileRange, sink: RangeSink, signal: AbortSignal, progress: { started: boolean }): Promise<void> {
  const what = `bytes ${range.start}-${range.end - 1} of ${request.path}`;
  return new Promise<void>((resolve, reject) => {
    let head: Buffer | undefined = Buffer.alloc(0);
    let position = range.start;
    let writing = false;
    let ended = false;
    let settled = false;
    /** The sink's write in progress: a failure is reported only once it has settled (the caller then closes the file). */
    let pendingSink: Promise<unknown> = Promise.resolve();
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error === undefined) resolve();
      else {
        const failure = error instanceof Error ? error : new Error(`[pollinator] [cfs-sync] the GET of ${what} failed`, { cause: error });
        void pendingSink.then(() => reject(failure), () => reject(failure));
      }
    };
    const onAbort = (): void => finish(Object.assign(new Error('the download was aborted', { cause: signal.reason }), { name: 'AbortError' }));
    const checkEnd = (): void => {
      if (head !== undefined && ended) {
        // Closed before an answer, as a reset connection: tried again.
        finish(Object.assign(new Error(`[pollinator] [cfs-sync] the connection closed before an answer to the GET of ${what}`), { code: 'ECONNRESET' }));
      } else if (position === range.end) finish();
      else if (ended) finish(new Error(`[pollinator] [cfs-sync] short range read of ${what}: ${position - range.start} of ${range.end - range.start} bytes`));
    };
    /** Hands a piece to the sink; false pauses the socket (its buffer holds the piece) until the sink is done. */
    const deliver = (piece: Buffer): false => {
      if (position + piece.length > range.end) {
        finish(new Error(`[pollinator] [cfs-sync] the answer to the GET of ${what} is longer than asked`));
        return false;
      }
      progress.started = true;
      writing = true;
      pendingSink = sink(piece, position);
      pendingSink.then(() => {
        writing = false;
        position += piece.length;
        checkEnd();
        if (!settled) socket.resume();
      }, finish);
      return false;
    };
    const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    /** Returns false to pause the socket (its buffer holds a piece the sink has not taken yet). */
    const onRead = (bytes: number): boolean => {
      const buffer = readBuffer;
      if (settled || bytes === 0) return true;
      if (head === undefined) return deliver(buffer.subarray(0, bytes));
      // The status line and headers: copied until they are complete (a few hundred bytes).
      head = Buffer.concat([head, buffer.subarray(0, bytes)]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) finish(new Error(`[pollinator] [cfs-sync] no end of the headers in the answer to the GET of ${what}`));
        return true;
      }
      const failure = checkHead(head.subarray(0, end).toString('latin1'), range, what);
      if (failure !== undefined) {
        finish(failure);
        return true;
      }
      const rest = head.subarray(end + 4);
      head = undefined;
      return rest.length > 0 ? deliver(rest) : true;
    };
    // An IPv6 endpoint's host comes from a URL in brackets ([::1]); connect wants the bare address.
    const address = request.host.replace(/^\[(.*)\]$/, '$1');
    const socket = connect({ host: address, port: request.port, onread: { buffer: readBuffer, callback: onRead } });
    socket.once('connect', () => {
      // HTTP/1.1 needs a Host header; a signed request has one already (it is signed).
      const fields = { host: `${request.host}:${request.port}`, ...request.headers, range: `bytes=${range.start}-${range.end - 1}`, connection: 'close' };
      const headers = Object.entries(fields)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      socket.write(`GET ${request.path} HTTP/1.1\r\n${headers}\r\n`);
    });
    // A server that stalls mid-answer must not hang the download: no byte for a minute is a dropped connection
    // (retried before the first body byte, as any other). Not while the sink holds the socket paused.
    socket.setTimeout(STALLED_MS, () => {
      if (!writing) finish(Object.assign(new Error(`[pollinator] [cfs-sync] no data for ${STALLED_MS / 1000} s in the answer to the GET of ${what}`), { code: 'ETIMEDOUT' }));
    });
    socket.once('error', finish);
    socket.once('end', () => {
      ended = true;
      if (!writing) checkEnd();
    });
    socket.once('close', () => {
      ended = true;
      if (!writing) checkEnd();
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** An error for an answer that is not exactly the asked range in plain bytes, else undefined. */
function checkHead(text: string, range: FileRange, what: string): Error | undefined {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  if (status < 200 || status > 299) return new RangeReplyError(status, what);
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  if (headers.has('transfer-encoding') || headers.has('content-encoding')) {
    return new Error(`[pollinator] [cfs-sync] the answer to the GET of ${what} is encoded (${headers.get('transfer-encoding') ?? headers.get('content-encoding')}); expected plain bytes`);
  }
  const length = Number(headers.get('content-length') ?? Number.NaN);
  if (length !== range.end - range.start) return new Error(`[pollinator] [cfs-sync] the answer to the GET of ${what} has ${length} bytes, not ${range.end - range.start}`);
  return undefined;
}
