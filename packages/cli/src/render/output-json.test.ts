import { describe, expect, it } from 'vitest';
import { captureOutput } from './output.test-helpers';
import { JSON_SCHEMA_VERSION, jsonEnvelope } from './output-json';

describe('--json envelope', () => {
  it('adds schemaVersion and time to every line, keeping type first', async () => {
    const { output, text } = captureOutput({ json: true });
    output.json({ type: 'process', processId: 'x', big: 12n });
    await new Promise((resolve) => setImmediate(resolve));
    const line = text().stdout.trim();
    expect(line.startsWith('{"type":"process","schemaVersion":1,"time":"')).toBe(true);
    const parsed = JSON.parse(line) as { time: string; big: string };
    expect(new Date(parsed.time).toISOString()).toBe(parsed.time);
    expect(parsed.big).toBe('12');
  });

  it('uses the time of writing and the current version', () => {
    const at = new Date('2026-12-03T09:00:00.123Z');
    expect(jsonEnvelope({ type: 'done', result: {} }, at)).toEqual({ type: 'done', schemaVersion: JSON_SCHEMA_VERSION, time: '2026-12-03T09:00:00.123Z', result: {} });
  });
});
