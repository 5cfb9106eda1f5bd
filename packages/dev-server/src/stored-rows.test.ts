import { describe, expect, it } from 'vitest';
import { decodeAttribute, decodeColony, decodeCount, decodeExecutor, decodeLabel, StoredRowError } from './stored-rows';

describe('stored row mappers', () => {
  it('read INTEGER columns whether SQLite gave a number or a bigint', () => {
    const executor = {
      executorid: 'e',
      colonyname: 'dev',
      name: 'n',
      type: 't',
      state: 1n,
      locationname: '',
      commissiontime: 5,
      lastheard: 7n,
      body: '{}',
    };
    const decoded = decodeExecutor(executor);
    expect(decoded.state).toBe(1);
    expect(decoded.commissiontime).toBe(5n);
    expect(decoded.lastheard).toBe(7n);
    expect(decodeAttribute({ attributeid: 'a', targetid: 'p', colonyname: 'dev', state: 2n, type: 3, key: 'K', value: 'V' })).toEqual({
      attributeid: 'a',
      targetid: 'p',
      colonyname: 'dev',
      state: 2,
      type: 3,
      key: 'K',
      value: 'V',
    });
    expect(decodeLabel({ name: 'l', files: 4 })).toEqual({ name: 'l', files: 4 });
  });

  it('keep only the columns of the row type, in its order (replies serialise them as they are)', () => {
    expect(Object.keys(decodeColony({ paused: 0, colonyid: 'c', name: 'n', extra: 1 }))).toEqual(['name', 'colonyid', 'paused']);
  });

  it('refuse a column of the wrong type with a StoredRowError naming the table and column', () => {
    expect(() => decodeColony({ name: 'n', colonyid: 7, paused: 0 })).toThrow(StoredRowError);
    expect(() => decodeColony({ name: 'n', colonyid: 7, paused: 0 })).toThrow('stored colonies row: column colonyid is number, expected text');
    expect(() => decodeColony({ name: 'n', colonyid: 'c', paused: 0.5 })).toThrow('column paused is number, expected integer');
    expect(() => decodeColony(undefined)).toThrow('stored colonies row: not a row');
  });

  it('read an aggregate over no rows (NULL) as zero', () => {
    expect(decodeCount({ n: null })).toBe(0n);
    expect(decodeCount({ n: 12 })).toBe(12n);
  });
});
