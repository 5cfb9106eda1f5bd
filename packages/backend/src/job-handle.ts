import { BackendError } from './backend-error';
import type { JobHandle } from './backend';

/** JSON values only: what a handle's `data` may hold (it is written to the state file). */
export type JobHandleData = Record<string, unknown>;

/**
 * The typed view of one backend's `JobHandle.data`: builds handles and reads
 * them back, so no backend casts `handle.data` (a handle read from a state
 * file may be anything).
 */
export interface JobHandleCodec<Data extends JobHandleData> {
  readonly backend: string;
  /** A handle of this backend; `data` is copied, so later changes to it do not leak in. */
  create(processId: string, id: string, data: Data): JobHandle;
  /** The handle's data; throws `BackendError` when the handle is not one of this backend's. */
  read(handle: JobHandle): Data;
  /** The handle's data, or `undefined` when it is not one of this backend's (for `reattach`). */
  tryRead(handle: JobHandle): Data | undefined;
}

export interface JobHandleCodecOptions<Data extends JobHandleData> {
  /** The backend's name (`JobHandle.backend`). */
  backend: string;
  /** The typed data, or `undefined` when `data` lacks what the backend needs. */
  decode(data: JobHandleData, handle: JobHandle): Data | undefined;
  /** The one-line message of the `BackendError` thrown by `read` for a handle `decode` refused. */
  invalid?(handle: JobHandle): string;
}

function defaultInvalidMessage(backend: string, handle: JobHandle): string {
  return `not a ${backend} job handle (process ${handle.processId}, id ${JSON.stringify(handle.id)})`;
}

/** A codec for the handles of one backend (see `JobHandleCodec`). */
export function jobHandleCodec<Data extends JobHandleData>(options: JobHandleCodecOptions<Data>): JobHandleCodec<Data> {
  const { backend } = options;
  const tryRead = (handle: JobHandle): Data | undefined => {
    const data: unknown = handle.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
    return options.decode(data as JobHandleData, handle);
  };
  return {
    backend,
    create: (processId, id, data) => ({ backend, processId, id, data: { ...data } }),
    tryRead,
    read(handle) {
      const data = tryRead(handle);
      if (data === undefined) {
        throw new BackendError(backend, options.invalid?.(handle) ?? defaultInvalidMessage(backend, handle));
      }
      return data;
    },
  };
}

/** `data[key]` when it is a string, else `fallback`. */
export function stringField(data: JobHandleData, key: string): string | undefined;
export function stringField(data: JobHandleData, key: string, fallback: string): string;
export function stringField(data: JobHandleData, key: string, fallback?: string): string | undefined {
  const value = data[key];
  return typeof value === 'string' ? value : fallback;
}

/** `data[key]` when it is a finite number, else `fallback`. */
export function numberField(data: JobHandleData, key: string): number | undefined;
export function numberField(data: JobHandleData, key: string, fallback: number): number;
export function numberField(data: JobHandleData, key: string, fallback?: number): number | undefined {
  const value = data[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
