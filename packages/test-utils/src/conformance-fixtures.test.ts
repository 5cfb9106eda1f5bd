import { describe, expect, it } from 'vitest';
import {
  findFixtureStep,
  getJsonPath,
  listConformanceFixtureFiles,
  loadConformanceFixtures,
  resolveFixtureBinding,
} from './conformance-fixtures';
import { parseLosslessJson, stringifyLosslessJson } from './lossless-json';

describe('conformance fixtures', () => {
  it('lists the eleven recorded files in order', () => {
    const files = listConformanceFixtureFiles();
    expect(files).toHaveLength(11);
    expect(files[0]).toBe('01-setup.json');
    expect(files[10]).toBe('11-teardown.json');
  });

  it('keeps int64 values exact', () => {
    const step = findFixtureStep('03-logs.json', 'getlogs-all');
    const ts = getJsonPath(step, '$.response.payloadJson[0].timestamp');
    expect(typeof ts).toBe('bigint');
    // The exact digits appear in the decoded raw payload.
    const raw = JSON.parse((step as { response: { rawBody: string } }).response.rawBody) as { payload: string };
    expect(Buffer.from(raw.payload, 'base64').toString()).toContain((ts as bigint).toString());
  });

  it('resolves bindings, also across files', () => {
    const step = findFixtureStep('03-logs.json', 'getlogs-since-2nd');
    if (step.kind === 'websocket') throw new Error('unexpected');
    const b = step.bindings!.find((x) => x.path === '$.since')!;
    expect(resolveFixtureBinding('03-logs.json', b)).toBe(step.request.payloadJson!.since);
    expect(loadConformanceFixtures().every((f) => Object.keys(f.identities).includes('user'))).toBe(true);
  });

  it('round-trips lossless JSON', () => {
    const text = '{"a":1795592000252542378,"b":[1.5,-2,"x\\"y",null,true],"c":{}}';
    const v = parseLosslessJson(text);
    expect(v).toEqual({ a: 1795592000252542378n, b: [1.5, -2, 'x"y', null, true], c: {} });
    expect(stringifyLosslessJson(v)).toBe(text);
    expect(stringifyLosslessJson({ a: [1n, { b: 2 }] }, 2)).toBe(JSON.stringify({ a: [1, { b: 2 }] }, null, 2));
    expect(() => parseLosslessJson('{"a":12345678901234567,}')).toThrow(SyntaxError);
  });
});
