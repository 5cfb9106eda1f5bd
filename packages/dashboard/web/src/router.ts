/** Hash routes, so the local server serves one index.html for every page. */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'runs'; filter: Record<string, string> }
  | { page: 'run'; id: string }
  | { page: 'executors' }
  | { page: 'files' };

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'runs' && parts[1]) return { page: 'run', id: decodeURIComponent(parts[1]) };
  if (parts[0] === 'executors') return { page: 'executors' };
  if (parts[0] === 'files') return { page: 'files' };
  return { page: 'runs', filter: Object.fromEntries(new URLSearchParams(query)) };
}

export const runHref = (id: string): string => `#/runs/${encodeURIComponent(id)}`;

export function runsHref(filter: Record<string, string>): string {
  const query = new URLSearchParams(Object.entries(filter).filter(([, value]) => value !== '')).toString();
  return `#/runs${query ? `?${query}` : ''}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
