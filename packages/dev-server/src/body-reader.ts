// Reads one request body under a size cap and a time limit, before anything
// else looks at it. A body declared larger than the cap is refused from its
// headers without reading a byte; one that grows past it, or that has not
// arrived within the time limit (a slow-loris client), is refused as soon as
// that is known, and the bytes read so far are dropped at once. Without
// both limits ten unfinished 60 MB bodies held ~600 MB for good.
import type { IncomingMessage } from 'node:http';
import { RpcError } from './rpc-error';

export interface BodyLimits {
  /** Largest body accepted, in bytes (413 beyond). */
  maxBytes: number;
  /** Time from the request's headers to the end of its body (408 beyond). */
  timeoutMs: number;
}

/** Bytes of request bodies held in memory right now, over all requests. */
export interface BufferedBytes {
  bytes: number;
}

export interface BodyCallbacks {
  /** The whole body arrived within the limits. */
  onBody(body: Buffer): void;
  /** The body broke a limit (413 or 408); nothing more will be read for it. */
  onRefused(error: RpcError): void;
}

/** Reads `request`'s body; calls exactly one callback, or none when the client goes away first. */
export function readBody(
  request: IncomingMessage,
  limits: BodyLimits,
  buffered: BufferedBytes,
  callbacks: BodyCallbacks,
): void {
  const tooLarge = (): RpcError =>
    new RpcError(413, `request body larger than ${limits.maxBytes} bytes (the dev-server's maxBodyBytes)`);
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    callbacks.onRefused(tooLarge());
    return;
  }
  let chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const release = (): void => {
    buffered.bytes -= size;
    size = 0;
    chunks = [];
  };
  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    request.off('data', onData);
    return true;
  };
  const refuse = (error: RpcError): void => {
    if (!settle()) return;
    release();
    callbacks.onRefused(error);
  };
  const onData = (chunk: Buffer): void => {
    if (size + chunk.length > limits.maxBytes) {
      refuse(tooLarge());
      return;
    }
    chunks.push(chunk);
    size += chunk.length;
    buffered.bytes += chunk.length;
  };
  const timer = setTimeout(
    () => refuse(new RpcError(408, `request body not received within ${limits.timeoutMs} ms (the dev-server's bodyTimeoutMs)`)),
    limits.timeoutMs,
  );
  request.on('data', onData);
  request.on('end', () => {
    if (!settle()) return;
    const body = Buffer.concat(chunks, size);
    release();
    callbacks.onBody(body);
  });
  const abandoned = (): void => {
    if (settle()) release();
  };
  request.on('error', abandoned);
  request.on('close', abandoned);
}
