// The narrow core every group of calls works through: one identity's signed
// RPC over the shared transport, plus the few settings subscriptions need.
// The client, its per-resource call modules, pubsub and log following all
// take an `RpcCore`; none of them reaches into `ColoniesClient`, so nothing
// imports the client back (no cycle).
import { createSigner, type Signer } from '@pollinator/crypto/signing';
import { encodeSignedRequest, UNSIGNED_MESSAGES, type RequestEnvelope } from './envelope';
import { ColoniesArgumentError } from './errors';
import type { CallOptions, HttpTransport } from './transport';
import type { JsonValue } from './types';

/** What every identity of one client shares: the connections and the configuration. */
export interface ClientConfig {
  transport: HttpTransport;
  pubsubUrl: string;
  colonyName: string | undefined;
  colonyPrivateKey: string | undefined;
  serverPrivateKey: string | undefined;
  assignMarginMs: number;
  skipTlsVerify: boolean;
}

/** The reply payload's JSON text, unparsed, with the HTTP status (for replies decoded in parts). */
export interface RawReply {
  status: number;
  text: string;
}

export interface RpcCore {
  /** The configured default colony, if any. */
  readonly defaultColonyName: string | undefined;
  /** WebSocket URL of `/pubsub`. */
  readonly pubsubUrl: string;
  /** Accept any TLS certificate (WebSocket subscriptions honour it too). */
  readonly skipTlsVerify: boolean;
  /** Largest reply accepted, HTTP body or WebSocket frame. */
  readonly maxReplyBytes: number;
  /** The default timeout of one HTTP attempt, ms. */
  readonly timeoutMs: number;
  /** Extra HTTP time given to an assign long-poll beyond its `timeout`, ms. */
  readonly assignMarginMs: number;
  /** The colony to use: the argument, else the configured default; throws without either. */
  colony(name: string | undefined): string;
  /** A request envelope signed as this identity (for WebSocket subscriptions). */
  signEnvelope(msgtype: string, fields: Record<string, unknown>): RequestEnvelope;
  /** Sends a message and returns the decoded reply payload (lossless JSON). Reads may be retried. */
  rpc(msgtype: string, fields: Record<string, unknown>, read: boolean, options?: CallOptions): Promise<JsonValue>;
  /** Like `rpc`, but the reply payload's JSON text, unparsed. */
  rpcText(msgtype: string, fields: Record<string, unknown>, read: boolean, options?: CallOptions): Promise<RawReply>;
}

/**
 * The core of one identity (`privateKey`, already checked; undefined for an
 * unsigned client). The key is parsed once, into a signer this core holds.
 */
export function createRpcCore(config: ClientConfig, privateKey: string | undefined): RpcCore {
  let signer: Signer | undefined;
  const signerFor = (msgtype: string): Signer | undefined => {
    if (UNSIGNED_MESSAGES.has(msgtype)) return undefined;
    if (privateKey === undefined) {
      throw new ColoniesArgumentError(`${msgtype} must be signed: create the client with a privateKey (COLONIES_PRVKEY) or use .as(key)`);
    }
    signer ??= createSigner(privateKey);
    return signer;
  };
  const signEnvelope = (msgtype: string, fields: Record<string, unknown>): RequestEnvelope => {
    const identity = signerFor(msgtype);
    return encodeSignedRequest(msgtype, fields, identity === undefined ? undefined : (payload) => identity.sign(payload));
  };
  return {
    defaultColonyName: config.colonyName,
    pubsubUrl: config.pubsubUrl,
    skipTlsVerify: config.skipTlsVerify,
    maxReplyBytes: config.transport.maxReplyBytes,
    timeoutMs: config.transport.timeoutMs,
    assignMarginMs: config.assignMarginMs,
    colony(name) {
      const colony = name ?? config.colonyName;
      if (!colony) throw new ColoniesArgumentError('no colony name: pass `colonyName` or configure one (COLONIES_COLONY_NAME)');
      return colony;
    },
    signEnvelope,
    rpc: (msgtype, fields, read, options = {}) => config.transport.rpc(signEnvelope(msgtype, fields), read, options),
    rpcText: (msgtype, fields, read, options) => config.transport.rpcText(signEnvelope(msgtype, fields), read, options),
  };
}

/** A read (retried on failure, see the transport), decoded. */
export function read(core: RpcCore, msgtype: string, fields: Record<string, unknown>, options?: CallOptions): Promise<JsonValue> {
  return core.rpc(msgtype, fields, true, options);
}

/** A write (never resent once it may have reached the server), decoded. */
export function write(core: RpcCore, msgtype: string, fields: Record<string, unknown>, options?: CallOptions): Promise<JsonValue> {
  return core.rpc(msgtype, fields, false, options);
}
