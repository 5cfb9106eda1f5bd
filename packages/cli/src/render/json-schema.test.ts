import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureOutput } from './output.test-helpers';
import { eventsJsonSchemaText } from './json-schema';
import { createAjv, eventProblems } from './json-schema.test-helpers';
import { RunRenderer } from './run-events';

const PACKAGE_DIR = join(import.meta.dirname, '..', '..');
const ID = 'c'.repeat(64);

/** Lines as `--json` prints them: through the real Output. */
async function printed(values: unknown[]): Promise<Array<Record<string, unknown>>> {
  const { output, text } = captureOutput({ json: true });
  for (const value of values) output.json(value);
  await new Promise((resolve) => setImmediate(resolve));
  return text()
    .stdout.trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('events.schema.json, the contract of --json', () => {
  it('is up to date (run `pnpm --filter @pollinator/cli generate:schema`) and published', () => {
    expect(readFileSync(join(PACKAGE_DIR, 'schema', 'events.schema.json'), 'utf8')).toBe(eventsJsonSchemaText());
    const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    expect(manifest.files).toContain('schema');
    expect(manifest.exports['./events.schema.json']).toBe('./schema/events.schema.json');
  });

  it('is a valid draft-07 schema that a strict validator compiles', () => {
    const ajv = createAjv();
    const schema = JSON.parse(eventsJsonSchemaText()) as object;
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('accepts the events of a run, with the fields this round added', async () => {
    const { output, text } = captureOutput({ json: true });
    const renderer = new RunRenderer(output);
    renderer.handle({ type: 'snapshot.created', target: 'data', snapshotId: 's', name: 'n', label: '/pollinator/p/data', files: 2 });
    renderer.handle({ type: 'log', processId: ID, message: 'hi\n', timestamp: '1796289120073515689', executorName: 'e' });
    renderer.handle({ type: 'warning', code: 'RESULT_LABEL_FALLBACK', message: 'from the label' });
    renderer.handle({
      type: 'error',
      code: 'REMOTE_CHANGED',
      exitCode: 73,
      message: 'changed remotely',
      fix: 'pollinator pull --inputs',
      details: { files: [{ target: 'src', path: 'a.py', localSize: 1, remoteSize: 2 }] },
    });
    renderer.handle({
      type: 'result.synced',
      dir: '/p/cfs/result',
      label: '/pollinator/p/result',
      source: { kind: 'snapshot', snapshotId: 's', processId: ID },
      downloaded: { files: 1, bytes: 3 },
      backups: [],
      skipped: [{ path: 'x', reason: 'bad record' }],
    });
    renderer.handle({ type: 'done', result: { processId: ID, state: 'failed', exitCode: 3, detached: false, error: { code: 'PROCESS_FAILED', message: 'exit 3' } } });
    await new Promise((resolve) => setImmediate(resolve));
    for (const line of text().stdout.trim().split('\n')) expect(eventProblems(JSON.parse(line))).toBe('');
  });

  it('refuses a line without the envelope, an unknown type, and an undocumented field', async () => {
    expect(eventProblems({ type: 'process.submitted', processId: ID, colonyName: 'dev' })).toMatch(/schemaVersion/);
    const [unknown, extra, badTime] = await printed([
      { type: 'no.such.event' },
      { type: 'process.submitted', processId: ID, colonyName: 'dev', surprise: 1 },
      { type: 'process.submitted', processId: ID, colonyName: 'dev' },
    ]);
    expect(eventProblems(unknown)).toMatch(/must be equal to one of the allowed values/);
    expect(eventProblems(extra)).toMatch(/must NOT have additional properties \(surprise\)/);
    expect(eventProblems({ ...badTime, time: 'yesterday' })).toMatch(/must match format "date-time"/);
    expect(eventProblems({ ...badTime, schemaVersion: 2 })).toMatch(/must be equal to constant/);
  });
});
