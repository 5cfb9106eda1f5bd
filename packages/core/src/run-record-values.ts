import type { Process } from '@pollinator/colonies-client';
import { RunRecordKey, type RunRecordKeyValue } from './run-record-keys';

/**
 * A value of a process's record: the attribute the executor (or the server,
 * for env entries) added under `key` — the last one when there are several,
 * preferring type OUT — or, for the submitter-side names, the spec's env entry.
 */
export function recordValue(process: Pick<Process, 'attributes' | 'spec'>, key: RunRecordKeyValue): string | undefined {
  const attributes = (process.attributes ?? []).filter((attribute) => attribute.key === key && attribute.value !== '');
  const out = attributes.filter((attribute) => attribute.attributetype === 1);
  const attribute = (out.length > 0 ? out : attributes).at(-1);
  if (attribute !== undefined) return attribute.value;
  const env = process.spec?.env as Record<string, unknown> | null | undefined;
  const value = env?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The run's own result snapshot, when its executor recorded one. */
export function resultSnapshotOf(process: Pick<Process, 'attributes' | 'spec'>): string | undefined {
  const attributes = (process.attributes ?? []).filter((attribute) => attribute.key === RunRecordKey.resultSnapshot && attribute.value !== '');
  // Executor side only: an env entry of that name is the submitter's, not a record of results.
  return attributes.at(-1)?.value;
}
