// A minimal signed RPC client for the dev-server's own tests: one envelope
// in, status + decoded reply out (the real client is @pollinator/colonies-client).
import { sign } from '@pollinator/crypto';

export interface RawReply {
  status: number;
  payloadtype: string;
  error: boolean;
  /** Decoded payload text (JSON). */
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test data of every shape
  json: any;
}

export function envelope(payloadtype: string, msg: Record<string, unknown>, privateKey: string): string {
  const payload = Buffer.from(JSON.stringify({ ...msg, msgtype: payloadtype })).toString('base64');
  return JSON.stringify({ payloadtype, payload, signature: sign(payload, privateKey) });
}

/**
 * An envelope around payload JSON given as text, for what `JSON.stringify`
 * cannot write (integers beyond 2^53, malformed JSON). `msgtype` must be in it.
 */
export function rawEnvelope(payloadtype: string, payloadText: string, privateKey: string): string {
  const payload = Buffer.from(payloadText).toString('base64');
  return JSON.stringify({ payloadtype, payload, signature: sign(payload, privateKey) });
}

/** `JSON.stringify(msg)` with each `"<name>"` placeholder string replaced by raw JSON text. */
export function jsonWithRaw(msg: Record<string, unknown>, raw: Record<string, string>): string {
  let text = JSON.stringify(msg);
  for (const [name, value] of Object.entries(raw)) text = text.split(JSON.stringify(name)).join(value);
  return text;
}

export async function postRaw(url: string, body: string): Promise<RawReply> {
  const response = await fetch(`${url}/api`, { method: 'POST', body });
  const raw = (await response.json()) as { payloadtype: string; payload: string; error: boolean };
  const text = Buffer.from(raw.payload, 'base64').toString('utf8');
  return { status: response.status, payloadtype: raw.payloadtype, error: raw.error, text, json: JSON.parse(text) };
}

export function rpc(url: string, privateKey: string) {
  return (payloadtype: string, msg: Record<string, unknown> = {}): Promise<RawReply> =>
    postRaw(url, envelope(payloadtype, msg, privateKey));
}
