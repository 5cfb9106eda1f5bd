// What the listener (client side) and the relay (executor side) report while
// a forward runs. Plain data: the CLI prints them, the executor logs them.
import type { LinkEnd } from './link-types';

/** Events of `createForwardListener` / `openForward` (client side). */
export type ForwardEvent =
  /** openForward: the process is not running yet (`state`); the forward starts once it is. */
  | { type: 'waiting'; processId: string; state: string }
  | { type: 'listening'; host: '127.0.0.1'; port: number; remotePort: number }
  | { type: 'connection'; streamId: number }
  /** The relay connected the stream to the job's port. */
  | { type: 'connection-opened'; streamId: number }
  /** The relay refused or could not connect the stream; `reason` says why (for the user). */
  | { type: 'refused'; streamId: number; reason: string }
  /** A stream finished; `reason` is set when it did not close cleanly. */
  | { type: 'connection-closed'; streamId: number; reason?: string }
  /** The whole forward ended; `message` is one sentence for the user. */
  | { type: 'ended'; end: LinkEnd; message: string }
  /** A plain-text notice from the link, e.g. "rate limited: waiting 200 ms". */
  | { type: 'notice'; text: string };

/** Events of `serveForwardRelay` / `relayForwards` (executor side). */
export type RelayEvent =
  | { type: 'stream-opened'; streamId: number; address: string; port: number }
  | { type: 'stream-refused'; streamId: number; port: number; reason: string }
  | { type: 'stream-closed'; streamId: number; reason?: string }
  | { type: 'ended'; end: LinkEnd; message: string }
  | { type: 'notice'; text: string };
