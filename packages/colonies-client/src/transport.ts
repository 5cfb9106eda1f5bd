// HTTP transport: one POST /api per call over keep-alive connections, a
// per-attempt timeout, the caller's AbortSignal, and retries with exponential
// backoff and jitter for reads only (a write is resent only when it certainly
// never left this machine, e.g. connection refused).
import * as http from 'node:http';
import type * as Https from 'node:https';
import type { Socket } from 'node:net';
import { decodeReplyText, parseReplyPayload, type RequestEnvelope } from './envelope';
import {
  ColoniesAbortError,
  ColoniesClientError,
  ColoniesNetworkError,
  ColoniesTimeoutError,
  ColoniesError,
  ColoniesReplyTooLargeError,
} from './errors';
import type { JsonValue } from './types';

/**
 * The subset of `fetch` the client uses; the global `fetch` fits. When the
 * response has an async-iterable `body` (the global fetch, `createNodeFetch`)
 * the client reads it chunk by chunk and stops at `maxReplyBytes`; otherwise
 * it reads `text()` and checks the size afterwards.
 */
export type FetchLike = (
  url: string,
  init: { method: string; body?: string; headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<FetchResponse>;

export interface FetchResponse {
  status: number;
  statusText: string;
  text(): Promise<string>;
  headers?: { get(name: string): string | null };
  body?: unknown;
}

/** Default cap of a reply body: 64 MiB (a process with a few large kwargs fits many times over). */
export const DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024;

export interface RetryOptions {
  /** Extra attempts after the first (default 3; 0 disables retries). */
  retries?: number;
  /** First backoff delay in ms (default 100). */
  minDelayMs?: number;
  /** Backoff cap in ms (default 2000). */
  maxDelayMs?: number;
}

export interface CallOptions {
  /** Aborts the call (and its retries): rejects with a `ColoniesAbortError`. */
  signal?: AbortSignal;
  /** Timeout of one attempt in ms (default: the client's `timeoutMs`). */
  timeoutMs?: number;
}

/** What `onRetry` is told before each retry (never a key or a payload). */
export interface RetryEvent {
  payloadtype: string;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  error: Error;
}

export interface TransportOptions {
  baseUrl: string;
  onRetry?: (event: RetryEvent) => void;
  fetch?: FetchLike;
  timeoutMs: number;
  retry: Required<RetryOptions>;
  skipTlsVerify: boolean;
  /** Largest reply body read, in bytes (default `DEFAULT_MAX_REPLY_BYTES`); larger → `ColoniesReplyTooLargeError`. */
  maxReplyBytes?: number;
  /** Random source for jitter (tests). */
  random?: () => number;
}

/** Network failures that happen before any byte of the request is sent. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
]);

function errorCodes(error: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 4 || typeof error !== 'object' || error === null) return out;
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') out.push(e.code);
  if (Array.isArray(e.errors)) for (const x of e.errors) errorCodes(x, out, depth + 1);
  errorCodes(e.cause, out, depth + 1);
  return out;
}

function describeNetworkError(error: unknown): { detail: string; notSent: boolean } {
  const codes = errorCodes(error);
  const notSent = codes.length > 0 && codes.every((c) => NOT_SENT_CODES.has(c));
  const cause = (error as { cause?: { message?: unknown } } | null)?.cause;
  const message =
    typeof cause?.message === 'string' && cause.message !== ''
      ? cause.message
      : error instanceof Error
        ? error.message
        : String(error);
  return { detail: codes.length > 0 ? `${codes[0]}: ${message}` : message, notSent };
}

/**
 * How long connecting (DNS, TCP and TLS) may take before the attempt fails as
 * never sent: the global fetch's (undici's) connect timeout, kept so that an
 * unreachable server fails the same way (and a write is retried) with either.
 */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long an idle keep-alive socket is kept (undici's default). */
const IDLE_SOCKET_TIMEOUT_MS = 4_000;

/**
 * A minimal `fetch` over node:http / node:https with keep-alive agents: the
 * client's default (`defaultFetch`), and with `rejectUnauthorized: false` the
 * one for `skipTlsVerify`. Lighter than the global fetch (undici): it loads in
 * a few milliseconds instead of tens, which a one-request command feels, and
 * spends about half the CPU per request (bench/colonies-client-rpc.ts).
 * Idle sockets do not keep the process alive, and the server's
 * `Keep-Alive: timeout` hint is honoured (Node's agent), as with undici.
 */
export function createNodeFetch(options: { rejectUnauthorized?: boolean; maxSockets?: number; connectTimeoutMs?: number } = {}): FetchLike {
  const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  // Idle sockets closed after 4 s, as undici does: the Go server sends no `Keep-Alive: timeout`, and a socket a
  // NAT or firewall dropped silently during a long job would hang the next request (Node's agent applies
  // `timeout` to free sockets only, so a long-poll in flight is not cut).
  const httpAgent = new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS, maxSockets: options.maxSockets ?? Infinity });
  // node:https (and TLS under it) is loaded for the first https URL only: a plain-HTTP colony never needs it.
  let secureTransport: { https: typeof Https; agent: Https.Agent } | undefined;
  const secureSide = () => {
    if (secureTransport === undefined) {
      const https = process.getBuiltinModule('node:https');
      const agent = new https.Agent({
        keepAlive: true,
        timeout: IDLE_SOCKET_TIMEOUT_MS,
        maxSockets: options.maxSockets ?? Infinity,
        rejectUnauthorized: options.rejectUnauthorized ?? true,
      });
      secureTransport = { https, agent };
    }
    return secureTransport;
  };
  return (url, init) =>
    new Promise((resolve, reject) => {
      const secure = url.startsWith('https:');
      const request = secure ? secureSide().https.request : http.request;
      const agent = secure ? secureSide().agent : httpAgent;
      const req = request(url, { method: init.method, headers: init.headers, agent, signal: init.signal }, (res) => {
        // Resolved at the headers: the body is read by the caller, which can stop early. Reading
        // it (body or text()) surfaces a reset; this listener only keeps the error of a body
        // nobody reads from crashing the process.
        res.on('error', () => undefined);
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: { get: (name) => headerValue(res.headers[name.toLowerCase()]) },
          body: res,
          text: async () => {
            const chunks: Buffer[] = [];
            for await (const chunk of res) chunks.push(chunk as Buffer);
            return Buffer.concat(chunks).toString('utf8');
          },
        });
      });
      req.on('error', reject);
      req.on('socket', (socket) => limitConnectTime(req, socket, secure, connectTimeoutMs));
      req.end(init.body);
    });
}

/** Fails a request whose connection is not up within `timeoutMs`, with undici's error code (never sent). */
function limitConnectTime(req: http.ClientRequest, socket: Socket, secure: boolean, timeoutMs: number): void {
  if (!socket.connecting) return; // a reused keep-alive socket
  const timer = setTimeout(() => {
    const error = Object.assign(new Error(`Connect Timeout Error (timeout: ${timeoutMs}ms)`), { code: 'UND_ERR_CONNECT_TIMEOUT' });
    req.destroy(error);
  }, timeoutMs);
  timer.unref();
  const done = () => clearTimeout(timer);
  socket.once(secure ? 'secureConnect' : 'connect', done);
  socket.once('close', done);
}

let sharedNodeFetch: FetchLike | undefined;

/**
 * The fetch of a client given none: `createNodeFetch()`, one keep-alive pool
 * for the whole process (as the global fetch's), made on first use.
 */
export function defaultFetch(): FetchLike {
  sharedNodeFetch ??= createNodeFetch();
  return sharedNodeFetch;
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Reads a reply body as UTF-8, refusing (before buffering more) one larger
 * than `limit` bytes: by its Content-Length when given, else while streaming.
 */
export async function readReplyBody(response: FetchResponse, limit: number, payloadtype: string): Promise<string> {
  const declared = Number(response.headers?.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw new ColoniesReplyTooLargeError(payloadtype, limit);
  const body = response.body as AsyncIterable<Uint8Array> | null | undefined;
  if (body === null || body === undefined || typeof body[Symbol.asyncIterator] !== 'function') {
    const text = await response.text();
    if (Buffer.byteLength(text, 'utf8') > limit) throw new ColoniesReplyTooLargeError(payloadtype, limit);
    return text;
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > limit) throw new ColoniesReplyTooLargeError(payloadtype, limit); // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `createNodeFetch({ rejectUnauthorized: false })`: accepts self-signed certificates (COLONIES_SKIP_TLS_VERIFY). */
export function createInsecureHttpsFetch(): FetchLike {
  return createNodeFetch({ rejectUnauthorized: false });
}

export function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ColoniesAbortError(what, signal.reason));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ColoniesAbortError(what, signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class HttpTransport {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  private readonly fetchFn: FetchLike;
  private readonly retry: Required<RetryOptions>;
  private readonly random: () => number;
  private readonly onRetry: ((event: RetryEvent) => void) | undefined;
  readonly maxReplyBytes: number;

  constructor(options: TransportOptions) {
    this.onRetry = options.onRetry;
    this.maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs;
    this.retry = options.retry;
    this.random = options.random ?? Math.random;
    if (options.fetch) this.fetchFn = options.fetch;
    else if (options.skipTlsVerify && this.baseUrl.startsWith('https:')) this.fetchFn = createInsecureHttpsFetch();
    else this.fetchFn = defaultFetch();
  }

  /** Backoff before retry number `attempt` (1-based): exponential with "equal jitter". */
  backoffMs(attempt: number): number {
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.minDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /**
   * Sends one RPC. `read` marks calls that change nothing on the server: only
   * those are retried after a timeout, a network error or a retryable status.
   */
  async rpc(envelope: RequestEnvelope, read: boolean, options: CallOptions = {}): Promise<JsonValue> {
    const { status, text } = await this.rpcText(envelope, read, options);
    return parseReplyPayload(envelope.payloadtype, status, text);
  }

  /**
   * `rpc` without the final parse: the JSON text of the reply's payload (an
   * error reply still throws), for callers that decode it in parts.
   */
  async rpcText(envelope: RequestEnvelope, read: boolean, options: CallOptions = {}): Promise<{ status: number; text: string }> {
    const body = JSON.stringify(envelope);
    const what = envelope.payloadtype;
    for (let attempt = 0; ; attempt++) {
      try {
        const { status, statusText, text } = await this.send('POST', '/api', body, what, options);
        return { status, text: decodeReplyText(what, status, text, statusText) };
      } catch (error) {
        if (!this.shouldRetry(error, read) || attempt >= this.retry.retries) throw error;
        await this.pause(what, attempt + 1, error as Error, options.signal);
      }
    }
  }

  private async pause(payloadtype: string, attempt: number, error: Error, signal: AbortSignal | undefined): Promise<void> {
    const delayMs = this.backoffMs(attempt);
    try {
      this.onRetry?.({ payloadtype, attempt, delayMs, error });
    } catch {
      // A failing observer must not change the call's outcome.
    }
    await sleep(delayMs, signal, payloadtype);
  }

  /** `GET /health`: resolves when the server answers 200. */
  async health(options: CallOptions = {}): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { status, statusText, text } = await this.send('GET', '/health', undefined, 'health', options);
        if (status !== 200) {
          throw new ColoniesError({
            status,
            httpStatus: status,
            serverMessage: text.slice(0, 200) || statusText,
            payloadtype: 'health',
            envelope: false,
          });
        }
        return;
      } catch (error) {
        if (!this.shouldRetry(error, true) || attempt >= this.retry.retries) throw error;
        await this.pause('health', attempt + 1, error as Error, options.signal);
      }
    }
  }

  private shouldRetry(error: unknown, read: boolean): boolean {
    if (ColoniesNetworkError.isInstance(error) && !error.mayHaveBeenSent) return true;
    return read && ColoniesClientError.isInstance(error) && error.retryable;
  }

  private async send(
    method: string,
    path: string,
    body: string | undefined,
    what: string,
    options: CallOptions,
  ): Promise<{ status: number; statusText: string; text: string }> {
    const { signal } = options;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    if (signal?.aborted) throw new ColoniesAbortError(what, signal.reason);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        body,
        headers: body === undefined ? {} : { 'content-type': 'text/plain; charset=utf-8' },
        signal: controller.signal,
      });
      const text = await readReplyBody(res, this.maxReplyBytes, what);
      return { status: res.status, statusText: res.statusText, text };
    } catch (error) {
      if (ColoniesReplyTooLargeError.isInstance(error)) {
        controller.abort(); // drop the rest of the body and its connection
        throw error;
      }
      if (signal?.aborted) throw new ColoniesAbortError(what, signal.reason);
      if (timedOut) throw new ColoniesTimeoutError(what, timeoutMs);
      const { detail, notSent } = describeNetworkError(error);
      throw new ColoniesNetworkError(what, detail, !notSent, error);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
