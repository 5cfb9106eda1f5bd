// The options of `createColoniesClient`, checked and turned into the
// configuration every identity of the client shares.
import { ColoniesConfigError } from './errors';
import type { ClientConfig } from './rpc-core';
import { HttpTransport, type FetchLike, type RetryEvent, type RetryOptions } from './transport';

export interface ColoniesClientOptions {
  /** `http(s)://host:port`; alternatively `host`, `port` and `tls`. */
  url?: string;
  host?: string;
  /** Default 50080. */
  port?: number;
  /** https/wss when true (default false with `host`). */
  tls?: boolean;
  /** Accept any TLS certificate (self-signed proxies). */
  skipTlsVerify?: boolean;
  /** The caller's key (user or executor), 64 hex digits. Only `version`, `getServerInfo` and `health` work without. */
  privateKey?: string;
  /** Default colony for every call that needs one. */
  colonyName?: string;
  /** Colony owner key, used by `asColonyOwner()`. */
  colonyPrivateKey?: string;
  /** Server owner key, used by `asServerOwner()`. */
  serverPrivateKey?: string;
  /** Injectable fetch (default: `createNodeFetch()`, node:http/https keep-alive, one pool per process). */
  fetch?: FetchLike;
  /** Timeout of one HTTP attempt in ms (default 30 000). */
  timeoutMs?: number;
  /** Retries of reads (default 3 retries, 100 ms → 2 s); `false` disables them. */
  retry?: RetryOptions | false;
  /** Told before each retry (for "retrying…" messages and metrics). */
  onRetry?: (event: RetryEvent) => void;
  /** Extra HTTP time given to an assign long-poll beyond its `timeout` (default 15 000 ms). */
  assignMarginMs?: number;
  /** WebSocket URL of `/pubsub` (default: derived from the URL). */
  pubsubUrl?: string;
  /**
   * Largest reply accepted, in bytes of the HTTP body or WebSocket frame
   * (default 64 MiB, `DEFAULT_MAX_REPLY_BYTES`). A larger one is not read to
   * the end: the call fails with `ColoniesReplyTooLargeError`.
   */
  maxReplyBytes?: number;
}

const KEY_RE = /^[0-9a-fA-F]{64}$/;
const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** A private key as 64 lowercase hex digits; a `ColoniesConfigError` naming `what` when it is not one. */
export function checkKey(key: string, what: string): string {
  if (typeof key !== 'string' || !KEY_RE.test(key)) {
    throw new ColoniesConfigError(what, `${what} must be 64 hexadecimal digits (a secp256k1 private key)`);
  }
  const scalar = BigInt(`0x${key}`);
  if (scalar === 0n || scalar >= CURVE_ORDER) {
    throw new ColoniesConfigError(what, `${what} is not a valid secp256k1 private key (0 or ≥ the curve order)`);
  }
  return key.toLowerCase();
}

function baseUrlOf(options: ColoniesClientOptions): string {
  if (options.url) {
    let u: URL;
    try {
      u = new URL(options.url);
    } catch {
      throw new ColoniesConfigError('url', `url must look like http://host:port, got ${JSON.stringify(options.url)}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new ColoniesConfigError('url', `url must start with http:// or https://, got ${JSON.stringify(options.url)}`);
    }
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '').replace(/\/api$/, '')}`;
  }
  if (!options.host) throw new ColoniesConfigError('url', 'createColoniesClient needs `url` or `host` (and `port`, `tls`)');
  const host = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
  return `${options.tls ? 'https' : 'http'}://${host}:${options.port ?? 50080}`;
}

/** The largest string V8 can hold is about 2^29 characters: a larger cap could never be honoured. */
const MAX_REPLY_BYTES_CEILING = 512 * 1024 * 1024;

function checkMaxReplyBytes(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1024 || value > MAX_REPLY_BYTES_CEILING) {
    throw new ColoniesConfigError('maxReplyBytes', `maxReplyBytes must be an integer number of bytes from 1024 to ${MAX_REPLY_BYTES_CEILING}, got ${value}`);
  }
  return value;
}

/** Checks the options and builds the shared configuration (the transport included). */
export function createClientConfig(options: ColoniesClientOptions): ClientConfig {
  const baseUrl = baseUrlOf(options);
  const retry = options.retry === false ? { retries: 0 } : (options.retry ?? {});
  const transport = new HttpTransport({
    baseUrl,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? 30_000,
    retry: { retries: retry.retries ?? 3, minDelayMs: retry.minDelayMs ?? 100, maxDelayMs: retry.maxDelayMs ?? 2000 },
    skipTlsVerify: options.skipTlsVerify ?? false,
    onRetry: options.onRetry,
    ...(options.maxReplyBytes === undefined ? {} : { maxReplyBytes: checkMaxReplyBytes(options.maxReplyBytes) }),
  });
  return {
    transport,
    pubsubUrl: options.pubsubUrl ?? `${baseUrl.replace(/^http/, 'ws')}/pubsub`,
    colonyName: options.colonyName || undefined,
    colonyPrivateKey: options.colonyPrivateKey ? checkKey(options.colonyPrivateKey, 'colonyPrivateKey') : undefined,
    serverPrivateKey: options.serverPrivateKey ? checkKey(options.serverPrivateKey, 'serverPrivateKey') : undefined,
    assignMarginMs: options.assignMarginMs ?? 15_000,
    skipTlsVerify: options.skipTlsVerify ?? false,
  };
}
