// Reply payload text → Process, one process at a time. A process that
// cannot be decoded (nested deeper than the parser allows, not an object,
// not JSON) becomes an `UnreadableProcessError` carrying its id when the raw
// text shows it, so that an executor can close it failed and a listing can
// show the others and name the one it could not read.

import { isObject, toProcess } from './convert';
import { parseReplyPayload } from './envelope';
import { ColoniesBadReplyError, UnreadableProcessError } from './errors';
import { topLevelArrayElements, topLevelStringField } from './json-scan';
import { parseLosslessJson } from './lossless-json';
import type { JsonValue, Process } from './types';

/** A list of processes decoded one by one: the readable ones, and why the others could not be read. */
export interface ProcessListing {
  processes: Process[];
  /** One per element of the reply that could not be decoded, in reply order. */
  unreadable: UnreadableProcessError[];
}

/** Decodes the payload text of a reply that holds one process (`getprocessmsg`, `assignprocessmsg`, …). */
export function decodeProcess(payloadtype: string, text: string): Process {
  let value: JsonValue;
  try {
    value = parseLosslessJson(text);
  } catch (error) {
    throw new UnreadableProcessError({
      payloadtype,
      reason: reasonOf(error),
      processId: topLevelStringField(text, 'processid'),
      cause: error,
    });
  }
  return processFromValue(payloadtype, value);
}

function processFromValue(payloadtype: string, value: JsonValue): Process {
  if (!isObject(value)) {
    throw new UnreadableProcessError({ payloadtype, reason: `expected a JSON object, got ${describe(value)}` });
  }
  try {
    return toProcess(value);
  } catch (error) {
    const processId = typeof value.processid === 'string' && value.processid !== '' ? value.processid : undefined;
    throw new UnreadableProcessError({ payloadtype, reason: reasonOf(error), processId, cause: error });
  }
}

/**
 * Decodes the payload text of a list of processes (`getprocessesmsg`,
 * `getprocesshistmsg`). The whole list is parsed at once when it can be;
 * when it cannot, each element is cut out of the text without parsing and
 * decoded on its own. Only a reply that is not an array at all fails whole
 * (a `ColoniesBadReplyError`).
 */
export function decodeProcessListing(payloadtype: string, httpStatus: number, text: string): ProcessListing {
  const listing: ProcessListing = { processes: [], unreadable: [] };
  let value: JsonValue;
  try {
    value = parseLosslessJson(text);
  } catch (error) {
    const elements = topLevelArrayElements(text);
    if (elements === undefined) return fail(payloadtype, httpStatus, text, error);
    for (const [start, end] of elements) collect(listing, () => decodeProcess(payloadtype, text.slice(start, end)));
    return listing;
  }
  if (value === null) return listing; // the server's empty list
  if (!Array.isArray(value)) throw new ColoniesBadReplyError(payloadtype, httpStatus, `expected a JSON array, got ${describe(value)}`);
  for (const element of value) collect(listing, () => processFromValue(payloadtype, element));
  return listing;
}

function collect(listing: ProcessListing, decode: () => Process): void {
  try {
    listing.processes.push(decode());
  } catch (error) {
    if (!UnreadableProcessError.isInstance(error)) throw error;
    listing.unreadable.push(error);
  }
}

function fail(payloadtype: string, httpStatus: number, text: string, error: unknown): never {
  // The same typed error the client gives for any unparseable payload.
  parseReplyPayload(payloadtype, httpStatus, text);
  throw error;
}

function describe(value: JsonValue): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
