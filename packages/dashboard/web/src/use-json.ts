/** Loads one API resource, and loads it again when asked (live updates call `reload`). */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { getJson } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

export function useJson<T>(path: string | undefined): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const shownPath = useRef(path);
  useEffect(() => {
    if (path === undefined) return;
    if (shownPath.current !== path) {
      shownPath.current = path;
      setData(undefined);
    }
    const controller = new AbortController();
    setLoading(true);
    getJson<T>(path, controller.signal).then(
      (value) => {
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(failure instanceof Error ? failure : new Error(String(failure)));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [path, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data, error, loading, reload };
}

/**
 * Calls `onEvent` for every server-sent event named in `names` from `path`;
 * the browser's EventSource reconnects by itself, and `onEvent` runs again on
 * (re)connect so nothing missed in between stays missing.
 */
export function useServerEvents(path: string | undefined, names: readonly string[], onEvent: (name: string, data: string) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const key = names.join(',');
  useEffect(() => {
    if (path === undefined || typeof EventSource === 'undefined') return;
    const source = new EventSource(path, { withCredentials: true });
    source.onopen = () => handler.current('open', '');
    for (const name of key.split(',')) {
      source.addEventListener(name, (event) => handler.current(name, (event as MessageEvent<string | undefined>).data ?? ''));
    }
    return () => source.close();
  }, [path, key]);
}

/** Runs `action` at most once per `milliseconds`, trailing. */
export function useThrottled(action: () => void, milliseconds: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(action);
  latest.current = action;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, milliseconds);
  }, [milliseconds]);
}
