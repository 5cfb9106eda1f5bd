/**
 * Follows a run's log: the server-sent stream `/api/runs/:id/log/stream`
 * (the server keeps the exact cursor; the browser's reconnect sends it back as
 * Last-Event-ID), and, where EventSource is missing or keeps failing, pages of
 * `/api/runs/:id/log?after=<cursor>`.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, runPath } from './api';
import { LogLines } from './log-lines';

/** The text one stream message or log page carries, whatever shape the server gives it. */
export function logText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return data.map(logText).join('');
  if (data && typeof data === 'object') {
    const record = data as Record<string, unknown>;
    if (Array.isArray(record.lines)) return record.lines.map((line) => (typeof line === 'string' ? (line.endsWith('\n') ? line : `${line}\n`) : logText(line))).join('');
    if (Array.isArray(record.entries)) return logText(record.entries);
    if (typeof record.text === 'string') return record.text;
    if (typeof record.message === 'string') return record.message;
  }
  return '';
}

function parseMessage(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return `${raw}\n`;
  }
}

export interface LogState {
  lines: LogLines;
  /** Bumped whenever lines arrive, at most once a frame. */
  version: number;
  status: 'connecting' | 'live' | 'ended' | 'error';
  error: string | undefined;
}

export function useLogStream(id: string, onStateChange?: () => void): LogState {
  const stateChanged = useRef(onStateChange);
  stateChanged.current = onStateChange;
  const lines = useRef(new LogLines());
  const [version, setVersion] = useState(0);
  const [status, setStatus] = useState<LogState['status']>('connecting');
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    lines.current = new LogLines();
    setVersion((value) => value + 1);
    let frame = 0;
    const bump = (): void => {
      if (frame !== 0) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setVersion((value) => value + 1);
      });
    };
    const append = (data: unknown): void => {
      const text = logText(data);
      if (text === '') return;
      lines.current.append(text);
      bump();
    };
    let stopped = false;
    let source: EventSource | undefined;
    const poll = async (): Promise<void> => {
      let cursor = '';
      while (!stopped) {
        try {
          const page = await getJson<Record<string, unknown>>(`${runPath(id)}/log${cursor ? `?after=${encodeURIComponent(cursor)}` : ''}`);
          append(page);
          cursor = typeof page.cursor === 'string' ? page.cursor : cursor;
          setStatus(page.complete === true ? 'ended' : 'live');
          if (page.complete === true) return;
        } catch (failure) {
          setError(failure instanceof Error ? failure.message : String(failure));
          setStatus('error');
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    };
    if (typeof EventSource === 'undefined') {
      void poll();
    } else {
      source = new EventSource(`${runPath(id)}/log/stream`, { withCredentials: true });
      source.onopen = () => {
        setStatus('live');
        setError(undefined);
      };
      source.addEventListener('log', (event) => append(parseMessage((event as MessageEvent<string>).data)));
      source.addEventListener('state', () => stateChanged.current?.());
      source.addEventListener('end', () => {
        stateChanged.current?.();
        setStatus('ended');
        source?.close();
      });
      source.addEventListener('error', (event) => {
        const data = (event as MessageEvent<string | undefined>).data;
        if (typeof data === 'string' && data !== '') {
          setError(logText(parseMessage(data)).trim() || data);
          setStatus('error');
          source?.close();
        } else if (source?.readyState === EventSource.CLOSED) {
          setStatus('error');
          setError('The log stream closed: reload the page to follow it again.');
        } else {
          setStatus('connecting');
        }
      });
    }
    return () => {
      stopped = true;
      source?.close();
      cancelAnimationFrame(frame);
    };
  }, [id]);
  return { lines: lines.current, version, status, error };
}
