/**
 * The live log of a run: follow/pause, search, download. Only the lines in
 * view (plus a margin) are in the DOM, so 100,000 lines scroll smoothly.
 */
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { visibleWindow } from './log-lines';
import { useLogStream } from './log-stream';

const LINE_HEIGHT = 18;

function downloadText(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function LogView({ id, onStateChange }: { id: string; onStateChange?: () => void }) {
  const log = useLogStream(id, onStateChange);
  const viewport = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const [scroll, setScroll] = useState({ top: 0, height: 400 });
  const [query, setQuery] = useState('');
  const [searched, setSearched] = useState('');
  const [matchIndex, setMatchIndex] = useState(0);
  const count = log.lines.count;
  const matches = useMemo(() => log.lines.search(searched), [searched, searched === '' ? 0 : log.version]);
  const currentMatch = matches[matchIndex];

  useLayoutEffect(() => {
    const element = viewport.current;
    if (element && follow) element.scrollTop = element.scrollHeight;
  }, [log.version, follow]);

  const jumpTo = (index: number): void => {
    const line = matches[index];
    const element = viewport.current;
    if (line === undefined || !element) return;
    setFollow(false);
    setMatchIndex(index);
    element.scrollTop = Math.max(0, line * LINE_HEIGHT - element.clientHeight / 2);
  };

  const { first, last } = visibleWindow({ scrollTop: scroll.top, viewportHeight: scroll.height, lineHeight: LINE_HEIGHT, count });
  const rows = [];
  for (let index = first; index < last; index += 1) {
    const isMatch = searched !== '' && index === currentMatch;
    rows.push(
      <div key={index} class={isMatch ? 'line match' : 'line'} data-line={index + 1}>
        {log.lines.line(index) || ' '}
      </div>,
    );
  }

  return (
    <section class="log" aria-labelledby="log-title">
      <div class="log-toolbar">
        <h2 id="log-title">Log</h2>
        <span class="log-status">
          {count.toLocaleString()} lines · {log.status === 'live' ? 'live' : log.status}
        </span>
        <button type="button" title={follow ? 'Stop following the end of the log' : 'Follow the end of the log'} onClick={() => setFollow(!follow)}>
          {follow ? 'Pause' : 'Follow'}
        </button>
        <form
          role="search"
          aria-label="Search the log"
          onSubmit={(event) => {
            event.preventDefault();
            if (query === searched && matches.length > 0) jumpTo((matchIndex + 1) % matches.length);
            else {
              setSearched(query);
              setMatchIndex(0);
              const found = log.lines.search(query);
              const element = viewport.current;
              if (found[0] !== undefined && element) {
                setFollow(false);
                element.scrollTop = Math.max(0, found[0] * LINE_HEIGHT - element.clientHeight / 2);
              }
            }
          }}
        >
          <label>
            <span class="visually-hidden">Search the log</span>
            <input type="search" placeholder="Search" value={query} onInput={(event) => setQuery(event.currentTarget.value)} />
          </label>
          <button type="submit">Find</button>
          {searched !== '' && (
            <span aria-live="polite">{matches.length === 0 ? 'no match' : `${matchIndex + 1} of ${matches.length}`}</span>
          )}
          {matches.length > 1 && (
            <button type="button" aria-label="Previous match" onClick={() => jumpTo((matchIndex - 1 + matches.length) % matches.length)}>
              ↑
            </button>
          )}
        </form>
        <button type="button" onClick={() => downloadText(`${id}.log`, log.lines.text())}>
          Download
        </button>
      </div>
      {log.error && (
        <p class="notice error" role="alert">
          {log.error}
        </p>
      )}
      <div
        ref={viewport}
        class="log-viewport"
        role="log"
        aria-live="off"
        aria-label="Log lines"
        tabIndex={0}
        onScroll={(event) => {
          const element = event.currentTarget;
          setScroll({ top: element.scrollTop, height: element.clientHeight });
          const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < LINE_HEIGHT;
          if (atBottom !== follow) setFollow(atBottom);
        }}
      >
        <div class="log-space" style={{ height: `${Math.max(count, 1) * LINE_HEIGHT}px` }}>
          <div class="log-window" style={{ transform: `translateY(${first * LINE_HEIGHT}px)` }}>
            {count === 0 ? <div class="line empty-log">{log.status === 'ended' ? 'This run printed nothing.' : 'Waiting for the first log line…'}</div> : rows}
          </div>
        </div>
      </div>
    </section>
  );
}
