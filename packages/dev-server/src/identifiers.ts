// Ids the server makes, and the name rule it enforces.
import { randomUUID } from 'node:crypto';
import { sha3Hex } from '@pollinator/crypto';
import { badRequest } from './rpc-error';

/** A fresh 64-hex-digit id, as the Go server's `core.GenerateRandomID`. */
export function randomId(): string {
  return sha3Hex(randomUUID());
}

/** `attributeid = SHA3-256(targetid + key + decimal(attributetype))` (§3.9). */
export function attributeId(targetId: string, key: string, type: number): string {
  return sha3Hex(`${targetId}${key}${type}`);
}

/**
 * Names are stored as `colony:name` by the real server, so a `:` in a name
 * breaks later listings there (§3.10). We refuse such names up front.
 */
export function checkName(name: string, kind: string): void {
  if (name.includes(':')) throw badRequest(`Invalid ${kind} name <${name}>: ":" is not allowed in names`);
}
