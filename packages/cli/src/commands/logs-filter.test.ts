import type { LogEvent } from '@pollinator/core';
import { describe, expect, it } from 'vitest';
import { LogFilter, parseGrep, parseSince, parseTail } from './logs-filter';

const entry = (message: string, timestamp: number): LogEvent => ({ type: 'log', processId: 'p', message, timestamp: String(timestamp), executorName: 'e' });
const messages = (events: LogEvent[]) => events.map((event) => event.message);

describe('pollinator logs: choosing lines', () => {
  it('--tail keeps the last lines of the log so far, cutting chunks into lines, then lets new lines through', () => {
    const filter = new LogFilter({ tail: 2 });
    expect(filter.push(entry('one\ntwo\nthr', 1))).toEqual([]);
    expect(filter.push(entry('ee\nfour\n', 2))).toEqual([]);
    expect(messages(filter.endBacklog())).toEqual(['three\n', 'four\n']);
    expect(messages(filter.push(entry('five\n', 3)))).toEqual(['five\n']);
    expect(messages(filter.flush())).toEqual([]);
  });

  it('--tail counts the job\'s lines only; the executor\'s messages of the backlog are kept', () => {
    const filter = new LogFilter({ tail: 1 });
    filter.push(entry('one\ntwo\n', 1));
    filter.push(entry('ContainerExecutor: Exit with an error, exit code = 3: Failed to execute process', 2));
    expect(messages(filter.flush())).toEqual(['two\n', 'ContainerExecutor: Exit with an error, exit code = 3: Failed to execute process']);
  });

  it('--grep keeps matching lines (a last line without newline too), and the executor\'s messages whole', () => {
    const filter = new LogFilter({ grep: parseGrep('^loss') });
    expect(messages(filter.push(entry('loss 1\nacc 1\nlo', 1)))).toEqual(['loss 1\n']);
    expect(messages(filter.push(entry('ss 2\nacc 2\nloss 3', 2)))).toEqual(['loss 2\n']);
    expect(messages(filter.push(entry('Pollinator: staging\n', 3)))).toEqual([]);
    expect(messages(filter.flush())).toEqual(['loss 3']);
  });

  it('--since drops entries up to that time', () => {
    const filter = new LogFilter({ sinceNs: 2n });
    expect(messages([...filter.push(entry('old\n', 1)), ...filter.push(entry('same\n', 2)), ...filter.push(entry('new\n', 3))])).toEqual(['new\n']);
  });

  it('parses --since as RFC 3339 or a duration ago, and refuses anything else (exit 64)', () => {
    const now = Date.parse('2026-12-03T10:00:00Z');
    expect(parseSince('10m', now)).toBe(BigInt(now - 600_000) * 1_000_000n);
    expect(parseSince('2026-12-03T09:00:00Z', now)).toBe(BigInt(Date.parse('2026-12-03T09:00:00Z')) * 1_000_000n);
    expect(() => parseSince('yesterday', now)).toThrow(/--since needs a time or a duration/);
    expect(parseTail('0')).toBe(0);
    expect(() => parseTail('-3')).toThrow(/--tail needs a number/);
    expect(() => parseGrep('(')).toThrow(/not a valid regular expression/);
  });
});
