import { describe, expect, it } from 'vitest';
import { ignoreStopSignal } from '@pollinator/backend';
import { testJobRequest } from '@pollinator/backend/test';
import { jobScript } from './job-manifest';

describe('the container script with a stop signal', () => {
  const stopSignal = { signal: 'SIGUSR2', beforeSeconds: 120 } as const;
  const job = testJobRequest(ignoreStopSignal('python3 train.py', stopSignal), '/tmp/work', {
    initCommand: ignoreStopSignal('pip3 install numpy', stopSignal),
    resources: { walltimeSeconds: 3600 },
    stopSignal,
  });

  it('times the signal to the container process group, walltime − before after the start', () => {
    expect(jobScript(job)).toBe(
      "trap : USR2\n(sleep 3480 && kill -s USR2 0) &\ntrap : USR2; pip3 install numpy\ntrap : USR2; python3 train.py",
    );
  });

  it('is the plain script without one', () => {
    expect(jobScript({ ...job, stopSignal: undefined, initCommand: '', command: 'python3 train.py' })).toBe('python3 train.py');
  });
});
