// Every message type the engine answers, one table per resource.
import type { HandlerTable } from '../rpc-reply';
import { assignmentHandlers } from './assignment-handlers';
import { attributeHandlers } from './attribute-handlers';
import { channelHandlers } from './channel-handlers';
import { colonyHandlers } from './colony-handlers';
import { executorHandlers } from './executor-handlers';
import { fileHandlers } from './file-handlers';
import { functionHandlers } from './function-handlers';
import { gcHandlers } from './gc-handlers';
import { logHandlers } from './log-handlers';
import { processHandlers } from './process-handlers';
import { serverHandlers } from './server-handlers';
import { snapshotHandlers } from './snapshot-handlers';
import { statisticsHandlers } from './statistics-handlers';
import { userHandlers } from './user-handlers';

const TABLES: readonly HandlerTable[] = [
  serverHandlers,
  colonyHandlers,
  statisticsHandlers,
  userHandlers,
  executorHandlers,
  functionHandlers,
  processHandlers,
  assignmentHandlers,
  attributeHandlers,
  logHandlers,
  channelHandlers,
  fileHandlers,
  snapshotHandlers,
  gcHandlers,
];

/** One map of every handler; a payload type in two tables is a programming error. */
export function allHandlers(tables: readonly HandlerTable[] = TABLES): ReadonlyMap<string, HandlerTable[string]> {
  const handlers = new Map<string, HandlerTable[string]>();
  for (const table of tables) {
    for (const [payloadtype, handler] of Object.entries(table)) {
      if (handlers.has(payloadtype)) throw new Error(`two handlers for ${payloadtype}`);
      handlers.set(payloadtype, handler);
    }
  }
  return handlers;
}
