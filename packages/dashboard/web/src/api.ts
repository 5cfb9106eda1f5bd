/**
 * The dashboard's typed view of the local server's JSON API (`/api/…`). The
 * browser never holds a key: the server signs every ColonyOS call, and the
 * session cookie (set from the `?token=` of the first URL) authorizes us.
 */

// The API's JSON has one home, shared with the server (type-only: nothing of it is bundled).
export type {
  RunSummary as Run,
  RunAttribute,
  RunDetail,
  ResultFile,
  RunResults,
  RerunReply,
  ExecutorView as Executor,
  FilesOverview,
  LabelFiles,
} from '../../src/api-types';

/** An API call that failed, with a sentence that says what to do. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function explain(status: number, body: { error?: { message?: string; code?: string } | string; message?: string; code?: string }): ApiError {
  const error = typeof body.error === 'object' ? body.error : undefined;
  const message = error?.message ?? (typeof body.error === 'string' ? body.error : undefined) ?? body.message;
  const code = error?.code ?? body.code;
  if (status === 401 || status === 403) {
    return new ApiError(message ?? 'This browser session is not signed in: open the link that `pollinator ui` printed (it carries the token).', status, code);
  }
  if (status === 502 || status === 504 || code === 'DASHBOARD_COLONY_UNREACHABLE') {
    const hint = 'Start one with `pollinator dev` (or check `colony.url` with `pollinator config`), then try again.';
    return new ApiError(message ? `${capitalize(message)}. ${hint}` : `No colony is reachable. ${hint}`, status, code);
  }
  return new ApiError(message ?? `The dashboard server answered ${status}.`, status, code);
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin', signal: signal ?? null });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError('The dashboard server does not answer: is `pollinator ui` still running? Start it again and reload.', 0, 'UNREACHABLE');
  }
  const text = await response.text();
  let body: Parameters<typeof explain>[1] | undefined = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) throw explain(response.status, body ?? {});
  return body as T;
}

export async function postJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: '{}', credentials: 'same-origin' });
  const text = await response.text();
  const body: Parameters<typeof explain>[1] = text === '' ? {} : JSON.parse(text);
  if (!response.ok) throw explain(response.status, body);
  return body as T;
}

export function runsQuery(filter: { state?: string; project?: string; executor?: string; q?: string }): string {
  const parameters = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value) parameters.set(key, value);
  const query = parameters.toString();
  return `/api/runs${query ? `?${query}` : ''}`;
}

export const runPath = (id: string): string => `/api/runs/${encodeURIComponent(id)}`;
export const resultPath = (id: string, path: string): string =>
  `${runPath(id)}/results/${path.split('/').map(encodeURIComponent).join('/')}`;
