// Request and reply envelopes (colonies-protocol.md §2.2–2.4).
import { sign } from '@pollinator/crypto/signing';
import { ColoniesBadReplyError, ColoniesError } from './errors';
import { JsonTooDeepError, parseLosslessJson, stringifyLosslessJson } from './lossless-json';
import type { JsonValue } from './types';

export interface RequestEnvelope {
  payloadtype: string;
  /** Standard base64 (with padding) of the UTF-8 payload JSON. */
  payload: string;
  /** 130 hex digits r ‖ s ‖ v over the base64 text; `""` for the unsigned messages. */
  signature: string;
}

export interface ReplyEnvelope {
  payloadtype: string;
  payload: string;
  error: boolean;
}

/** Messages the server answers before checking any signature. */
export const UNSIGNED_MESSAGES: ReadonlySet<string> = new Set(['versionmsg', 'getserverinfomsg']);

/** Serialises a payload; bigint values are written as exact JSON integers. */
export function encodePayloadJson(payload: Record<string, unknown>): string {
  try {
    return JSON.stringify(payload);
  } catch (error) {
    if (error instanceof TypeError) return stringifyLosslessJson(payload); // contains a bigint
    throw error;
  }
}

/**
 * Builds the signed envelope for `msgtype` with the given fields. The payload
 * JSON always carries `msgtype` equal to `payloadtype`; the signature is over
 * the base64 text, never the JSON (§1.3).
 */
export function encodeRequest(
  msgtype: string,
  fields: Record<string, unknown>,
  privateKey: string | undefined,
): RequestEnvelope {
  return encodeSignedRequest(msgtype, fields, privateKey === undefined ? undefined : (payload) => sign(payload, privateKey));
}

/** `encodeRequest` with the signing function of a `Signer` (the key parsed once per identity); unsigned without. */
export function encodeSignedRequest(
  msgtype: string,
  fields: Record<string, unknown>,
  signPayload: ((payload: string) => string) | undefined,
): RequestEnvelope {
  const json = encodePayloadJson({ ...fields, msgtype });
  const payload = Buffer.from(json, 'utf8').toString('base64');
  const signature = signPayload === undefined ? '' : signPayload(payload);
  return { payloadtype: msgtype, payload, signature };
}

/** Decodes a base64 payload into (lossless) JSON. */
export function decodePayload(payload: string): JsonValue {
  return parseLosslessJson(decodePayloadText(payload));
}

/** Decodes a base64 payload into its JSON text, unparsed. */
export function decodePayloadText(payload: string): string {
  return Buffer.from(payload, 'base64').toString('utf8');
}

function isReplyEnvelope(value: unknown): value is ReplyEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.payloadtype === 'string' && typeof v.payload === 'string' && typeof v.error === 'boolean';
}

const MAX_SNIPPET = 200;

function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_SNIPPET ? `${oneLine.slice(0, MAX_SNIPPET)}…` : oneLine;
}

/**
 * Turns an HTTP reply into the decoded payload JSON or a typed error. The
 * envelope decides, not the HTTP status (§2.4): an `error: true` envelope is a
 * `ColoniesError` with the status from its payload whatever the HTTP status
 * was; a body that is not an envelope is a `ColoniesError` with the HTTP status
 * when that status is an error (a proxy's 502 page), else a bad reply.
 */
export function decodeReply(requestPayloadtype: string, httpStatus: number, body: string, statusText = ''): JsonValue {
  return parseReplyPayload(requestPayloadtype, httpStatus, decodeReplyText(requestPayloadtype, httpStatus, body, statusText));
}

/** Parses the payload text of a successful reply (lossless); not JSON → `ColoniesBadReplyError`. */
export function parseReplyPayload(requestPayloadtype: string, httpStatus: number, payloadText: string): JsonValue {
  try {
    return parseLosslessJson(payloadText);
  } catch (error) {
    const detail = JsonTooDeepError.isInstance(error) ? `payload ${error.message}` : 'payload is not base64 JSON';
    throw new ColoniesBadReplyError(requestPayloadtype, httpStatus, detail, error);
  }
}

/**
 * `decodeReply` without the final parse: the JSON text of a successful
 * reply's payload, for callers that decode parts of it separately (one
 * process of a listing at a time).
 */
export function decodeReplyText(requestPayloadtype: string, httpStatus: number, body: string, statusText = ''): string {
  let envelope: unknown;
  try {
    envelope = body === '' ? undefined : JSON.parse(body);
  } catch {
    envelope = undefined;
  }
  if (!isReplyEnvelope(envelope)) {
    if (httpStatus >= 400 || httpStatus < 200) {
      throw new ColoniesError({
        status: httpStatus,
        httpStatus,
        serverMessage: snippet(body) || statusText,
        payloadtype: requestPayloadtype,
        envelope: false,
      });
    }
    throw new ColoniesBadReplyError(requestPayloadtype, httpStatus, body === '' ? 'empty body' : 'not a reply envelope');
  }
  if (envelope.error) {
    let status = httpStatus;
    let message = '';
    try {
      const failure = decodePayload(envelope.payload) as { status?: unknown; message?: unknown } | null;
      if (failure && typeof failure.status === 'number') status = failure.status;
      if (failure && typeof failure.message === 'string') message = failure.message;
    } catch {
      message = 'unreadable error payload';
    }
    if (status < 400) status = httpStatus >= 400 ? httpStatus : 500;
    throw new ColoniesError({ status, httpStatus, serverMessage: message, payloadtype: requestPayloadtype, envelope: true });
  }
  return decodePayloadText(envelope.payload);
}
