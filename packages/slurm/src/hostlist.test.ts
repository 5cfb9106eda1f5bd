import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { expandHostlist } from './hostlist';
import { slurmAvailable } from './services.test-helpers';

const cases: [string, string[]][] = [
  ['nid[001-003,007],gpu01', ['nid001', 'nid002', 'nid003', 'nid007', 'gpu01']],
  ['nid[005357-005358]', ['nid005357', 'nid005358']],
  ['node[1,3]', ['node1', 'node3']],
  ['a[1-2],b[3-4]', ['a1', 'a2', 'b3', 'b4']],
  ['r[1-2]n[08-10]', ['r1n08', 'r1n09', 'r1n10', 'r2n08', 'r2n09', 'r2n10']],
  ['node[8-11]', ['node8', 'node9', 'node10', 'node11']],
  ['vm', ['vm']],
  ['a,b[1,3]', ['a', 'b1', 'b3']],
  ['', []],
  ['(null)', []],
  ['None assigned', []],
];

describe('expandHostlist', () => {
  it.each(cases)('%s', (expression, hosts) => {
    expect(expandHostlist(expression)).toEqual(hosts);
  });

  it('rejects malformed expressions', () => {
    expect(() => expandHostlist('nid[001-')).toThrow(/missing "]"/);
    expect(() => expandHostlist('nid[3-1]')).toThrow(/backwards/);
    expect(() => expandHostlist('nid[a-b]')).toThrow(/bad range/);
  });

  it.skipIf(!slurmAvailable)('agrees with `scontrol show hostnames` (real Slurm)', () => {
    for (const [expression] of cases.filter(([expression]) => /^[a-z]/.test(expression) && !expression.startsWith('None'))) {
      const fromSlurm = execFileSync('scontrol', ['show', 'hostnames', expression], { encoding: 'utf8' }).split('\n').filter(Boolean);
      expect(expandHostlist(expression), expression).toEqual(fromSlurm);
    }
  });
});
