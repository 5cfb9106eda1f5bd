// Process channels (channelappendmsg, channelreadmsg), checked in the order
// the v1.9.12 server checks them (recorded: 12-channels.json notes): JSON →
// msgtype → process → membership → channel → payload size → party → rate
// limit → log size. Subscriptions (subscribechannelmsg) are in pubsub.ts.
import type { ChannelEntry, ChannelProcess } from '../channel-router';
import { formatTime } from '../clock';
import { int, type JsonObject, str } from '../json-reader';
import type { ProcessRow } from '../model';
import { type Call, type HandlerContext, type HandlerTable, ok, type RpcReply } from '../rpc-reply';
import { badRequest, forbidden, RpcError } from '../rpc-error';

/**
 * Standard base64 with padding, as Go's `[]byte` JSON decoding accepts (no
 * URL-safe alphabet, no missing `=`). Checked without a repeated group: on a
 * 14 MB payload a backtracking pattern overflows V8's regular-expression stack.
 */
function isStandardBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}

/** A `[]byte` field: base64 text or an array of numbers 0–255; absent or null: no payload. */
function payloadOf(msg: JsonObject): Buffer | null {
  const value = msg.payload;
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && isStandardBase64(value)) return Buffer.from(value, 'base64');
  if (Array.isArray(value) && value.every((byte) => typeof byte === 'number' && Number.isInteger(byte) && byte >= 0 && byte <= 255)) {
    return Buffer.from(value as number[]);
  }
  throw badRequest('Failed to append to channel, invalid JSON');
}

/** The process and the channels its spec declares, or 404 "Process not found". */
function channelProcess(context: HandlerContext, processId: string): { row: ProcessRow; process: ChannelProcess } {
  const row = context.statements.processes.get(processId);
  if (!row) throw new RpcError(404, 'Process not found');
  let declared: string[] = [];
  try {
    const spec = JSON.parse(row.spec) as { channels?: unknown };
    if (Array.isArray(spec.channels)) declared = spec.channels.filter((name): name is string => typeof name === 'string');
  } catch {
    // A stored spec is always valid JSON; without one there are no channels.
  }
  return { row, process: { processid: row.processid, state: row.state, declared } };
}

/** Only the submitter and the assigned executor use a process's channels. */
function isParty(row: ProcessRow, signer: string): boolean {
  return signer === row.initiatorid || (row.assignedexecutorid !== '' && signer === row.assignedexecutorid);
}

/** An entry as the server writes it (`inreplyto` and `error` omitted when empty). */
export function channelEntryJson(entry: ChannelEntry): Record<string, unknown> {
  return {
    sequence: entry.sequence,
    ...(entry.inreplyto === 0 ? {} : { inreplyto: entry.inreplyto }),
    timestamp: formatTime(entry.timestamp, 9),
    senderid: entry.senderid,
    payload: entry.payload === null ? null : entry.payload.toString('base64'),
    type: entry.type,
  };
}

function appendChannel(context: HandlerContext, { signer, msg }: Call): RpcReply {
  const sequence = int(msg, 'sequence');
  const inReplyTo = int(msg, 'inreplyto');
  const payload = payloadOf(msg);
  const type = str(msg, 'payloadtype');
  const name = str(msg, 'name');
  const { row, process } = channelProcess(context, str(msg, 'processid'));
  context.authorization.requireMember(signer, row.colonyname);
  const log = context.channels.log(process, name);
  if (payload !== null && payload.length > context.channels.maxPayloadBytes) throw new RpcError(500, 'message payload exceeds maximum size');
  if (!isParty(row, signer)) throw forbidden('Not authorized to write to channel');
  context.channels.takeToken(row.processid);
  context.channels.append(row.processid, name, log, {
    sequence,
    inreplyto: inReplyTo,
    timestamp: context.clock.next(),
    senderid: signer,
    payload,
    type: type === '' ? 'data' : type,
  });
  return ok('channelappendmsg');
}

function readChannel(context: HandlerContext, { signer, msg }: Call): RpcReply {
  const from = Math.max(0, int(msg, 'afterseq'));
  const limit = int(msg, 'limit');
  const name = str(msg, 'name');
  const { row, process } = channelProcess(context, str(msg, 'processid'));
  context.authorization.requireMember(signer, row.colonyname);
  const log = context.channels.log(process, name);
  if (!isParty(row, signer)) throw forbidden('Not authorized to read from channel');
  const entries = log.slice(from, limit > 0 ? from + limit : undefined);
  // Never null: the server answers [] for an empty read.
  return ok('channelreadmsg', entries.map(channelEntryJson));
}

/** What `subscribechannelmsg` needs before it starts: the same checks as a read. */
export function openChannelSubscription(
  context: HandlerContext,
  signer: string,
  msg: JsonObject,
): { processId: string; name: string; from: number; log: ChannelEntry[] } {
  const name = str(msg, 'name');
  const { row, process } = channelProcess(context, str(msg, 'processid'));
  context.authorization.requireMember(signer, row.colonyname);
  const log = context.channels.log(process, name);
  if (!isParty(row, signer)) throw forbidden('Not authorized to subscribe to channel');
  return { processId: row.processid, name, from: Math.max(0, int(msg, 'afterseq')), log };
}

export const channelHandlers: HandlerTable = {
  channelappendmsg: appendChannel,
  channelreadmsg: readChannel,
};
