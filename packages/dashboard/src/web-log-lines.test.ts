// The log model of the web app (web/src/log-lines.ts): lines split across
// chunks, search, and the window of lines the view renders.
import { describe, expect, it } from 'vitest';
import { LogLines, visibleWindow } from '../web/src/log-lines';

describe('LogLines', () => {
  it('joins a line split across chunks and keeps an unfinished last line open', () => {
    const log = new LogLines();
    expect(log.append('first li')).toBe(0);
    expect(log.append('ne\r\nsecond\nthi')).toBe(2);
    expect(log.count).toBe(3);
    expect([log.line(0), log.line(1), log.line(2)]).toEqual(['first line', 'second', 'thi']);
    log.append('rd\n');
    expect(log.count).toBe(3);
    expect(log.text()).toBe('first line\nsecond\nthird\n');
  });

  it('finds lines case-insensitively, the open one included', () => {
    const log = new LogLines();
    log.append('Epoch 1\nloss 2\nepoch 3');
    expect(log.search('EPOCH')).toEqual([0, 2]);
    expect(log.search('')).toEqual([]);
  });
});

describe('visibleWindow', () => {
  it('covers the viewport plus a margin, within the log', () => {
    expect(visibleWindow({ scrollTop: 18_000, viewportHeight: 360, lineHeight: 18, count: 100_000, margin: 10 })).toEqual({ first: 990, last: 1030 });
    expect(visibleWindow({ scrollTop: 0, viewportHeight: 360, lineHeight: 18, count: 5 })).toEqual({ first: 0, last: 5 });
  });
});
