/**
 * The Kubernetes backend's log cursor: per container stream (`<pod>/<container>`),
 * how many bytes of its output have been emitted. JSON with sorted keys, so
 * the same position always encodes the same way.
 */
import { BackendError, type LogCursor } from '@pollinator/backend';
import { BACKEND_NAME } from './job-manifest';

/** Bytes emitted per stream key (`<pod>/<container>`). */
export type LogOffsets = Record<string, number>;

export function decodeCursor(cursor: LogCursor): LogOffsets {
  if (!cursor) return {};
  try {
    const parsed = JSON.parse(cursor) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const offsets: LogOffsets = {};
      for (const [key, value] of Object.entries(parsed)) {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error('bad offset');
        offsets[key] = value;
      }
      return offsets;
    }
  } catch {
    // fall through
  }
  throw new BackendError(BACKEND_NAME, `invalid log cursor ${JSON.stringify(cursor).slice(0, 80)}`);
}

export function encodeCursor(offsets: LogOffsets): LogCursor {
  const keys = Object.keys(offsets).sort();
  return JSON.stringify(Object.fromEntries(keys.map((key) => [key, offsets[key]])));
}
