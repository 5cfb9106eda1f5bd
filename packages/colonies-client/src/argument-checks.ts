// Refusals before sending: arguments the server would accept and then mis-handle.
import { ColoniesArgumentError } from './errors';

/** Names are stored as "colony:name": a ':' breaks later listings of the whole colony (§3.10). */
export function checkName(name: string, what: string): void {
  if (typeof name !== 'string' || name === '') throw new ColoniesArgumentError(`${what} must be a non-empty string`);
  if (name.includes(':')) throw new ColoniesArgumentError(`${what} must not contain ':' (got ${JSON.stringify(name)})`);
}
