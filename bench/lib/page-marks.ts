/**
 * Timings taken inside the dashboard's page, so the benchmark's own polling
 * (Playwright's waitFor) adds nothing to them. An init script (it runs before
 * the page's own scripts) watches the DOM and stamps, at the first frame
 * painted after a change (a requestAnimationFrame callback runs just before
 * the paint; a message posted from it is handled just after):
 * - when the runs table's first row was on screen (performance.now(): ms since
 *   navigation started);
 * - when each log line `L <index> <epoch ms>` the benchmark's job printed was
 *   on screen, as a latency (Date.now() − the time printed in the line: the
 *   page and the job read the same clock).
 */
import type { Page } from 'playwright-core';

/** Plain JavaScript: it runs in the browser (the bench's tsconfig has no DOM types). */
export const PAGE_MARKS_SCRIPT = `(() => {
  const marks = { tableInDom: undefined, tablePainted: undefined, lineLatencies: {} };
  window.__benchMarks = marks;
  const pendingLines = new Map();
  let paintScheduled = false;
  const afterNextPaint = (callback) => requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = callback;
    channel.port2.postMessage(0);
  });
  const stampPending = () => {
    const now = Date.now();
    for (const [index, printedAt] of pendingLines) marks.lineLatencies[index] = now - printedAt;
    pendingLines.clear();
    paintScheduled = false;
  };
  new MutationObserver(() => {
    if (marks.tableInDom === undefined && document.querySelector('table.runs tbody tr')) {
      marks.tableInDom = performance.now();
      afterNextPaint(() => { marks.tablePainted = performance.now(); });
    }
    for (const row of document.querySelectorAll('[role="log"] .line')) {
      const match = /^L (\\d+) (\\d+)$/.exec(row.textContent.trim());
      if (match && !(match[1] in marks.lineLatencies) && !pendingLines.has(match[1])) pendingLines.set(match[1], Number(match[2]));
    }
    if (pendingLines.size > 0 && !paintScheduled) {
      paintScheduled = true;
      afterNextPaint(stampPending);
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
})();`;

export interface PaintMarks {
  /** ms from navigation start to the first row of the runs table in the DOM. */
  tableInDom: number;
  /** … to the end of the frame that painted it. */
  tablePainted: number;
  /** The browser's own first-contentful-paint, ms from navigation start. */
  firstContentfulPaint: number;
}

/** What PAGE_MARKS_SCRIPT keeps in the page. */
interface Marks {
  tableInDom?: number;
  tablePainted?: number;
  lineLatencies: Record<string, number>;
}

// Functions, not strings: the dashboard's Content-Security-Policy forbids eval, which Playwright's string
// predicates need. Each function runs in the page on its own, so each reads the marks itself.

/** Waits until the runs table was painted, then reads the marks. Needs PAGE_MARKS_SCRIPT as an init script. */
export async function readPaintMarks(page: Page): Promise<PaintMarks> {
  await page.waitForFunction(() => {
    const marks = (globalThis as unknown as { __benchMarks?: Marks }).__benchMarks;
    return marks?.tablePainted !== undefined;
  }, undefined, { polling: 'raf' });
  return page.evaluate(() => {
    const marks = (globalThis as unknown as { __benchMarks: Marks }).__benchMarks;
    return {
      tableInDom: marks.tableInDom ?? Number.NaN,
      tablePainted: marks.tablePainted ?? Number.NaN,
      firstContentfulPaint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
    };
  });
}

/** Latency (ms) of each log line on screen so far, by the line's index. */
export function readLineLatencies(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => ({ ...(globalThis as unknown as { __benchMarks: Marks }).__benchMarks.lineLatencies }));
}

/** Waits until `count` log lines were on screen. */
export async function waitForLines(page: Page, count: number, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    (wanted) => Object.keys((globalThis as unknown as { __benchMarks: Marks }).__benchMarks.lineLatencies).length >= wanted,
    count,
    { timeout: timeoutMs },
  );
}
