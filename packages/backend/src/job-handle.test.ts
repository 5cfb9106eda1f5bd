import { describe, expect, it } from 'vitest';
import { BackendError } from './backend-error';
import type { JobHandle } from './backend';
import { jobHandleCodec, numberField, stringField } from './job-handle';

interface ExampleData {
  [key: string]: unknown;
  workDir: string;
  nodes: number;
}

const codec = jobHandleCodec<ExampleData>({
  backend: 'example',
  decode(data) {
    const workDir = stringField(data, 'workDir');
    return workDir === undefined ? undefined : { workDir, nodes: numberField(data, 'nodes', 1) };
  },
});

describe('jobHandleCodec', () => {
  it('creates handles of its backend with a copy of the data', () => {
    const data = { workDir: '/w', nodes: 2 };
    const handle = codec.create('p1', '42', data);
    data.nodes = 3;
    expect(handle).toEqual({ backend: 'example', processId: 'p1', id: '42', data: { workDir: '/w', nodes: 2 } });
    expect(JSON.parse(JSON.stringify(handle))).toEqual(handle);
  });

  it('reads the data back, with defaults for missing optional fields', () => {
    const handle: JobHandle = { backend: 'example', processId: 'p1', id: '42', data: { workDir: '/w' } };
    expect(codec.read(handle)).toEqual({ workDir: '/w', nodes: 1 });
    expect(codec.tryRead(handle)).toEqual({ workDir: '/w', nodes: 1 });
  });

  it('refuses a handle whose data lacks what the backend needs, or is no object', () => {
    for (const data of [{}, { workDir: 7 }, null, [], 'x']) {
      const handle = { backend: 'example', processId: 'p1', id: '42', data } as unknown as JobHandle;
      expect(codec.tryRead(handle)).toBeUndefined();
      expect(() => codec.read(handle)).toThrow(/not a example job handle \(process p1, id "42"\)/);
      try {
        codec.read(handle);
      } catch (error) {
        expect(BackendError.isInstance(error) && error.backend).toBe('example');
      }
    }
  });

  it('uses the backend’s own message when it gives one', () => {
    const strict = jobHandleCodec<ExampleData>({
      backend: 'example',
      decode: () => undefined,
      invalid: (handle) => `handle of process ${handle.processId} has no work directory`,
    });
    expect(() => strict.read({ backend: 'example', processId: 'p9', id: '1', data: {} })).toThrow(
      'handle of process p9 has no work directory',
    );
  });
});

describe('stringField / numberField', () => {
  it('read only values of their type', () => {
    const data = { text: 'a', count: 3, notNumber: Number.NaN, wrong: true };
    expect(stringField(data, 'text')).toBe('a');
    expect(stringField(data, 'count')).toBeUndefined();
    expect(stringField(data, 'missing', 'fallback')).toBe('fallback');
    expect(numberField(data, 'count')).toBe(3);
    expect(numberField(data, 'notNumber', 1)).toBe(1);
    expect(numberField(data, 'wrong')).toBeUndefined();
  });
});
