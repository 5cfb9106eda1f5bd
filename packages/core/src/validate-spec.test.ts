import { describe, expect, it } from 'vitest';
import type { FunctionSpec } from '@pollinator/colonies-client';
import {
  buildCommand,
  parseKwargs,
  parseMemoryBytes,
  stagingPath,
  validateFunctionSpec,
  type ExecutorSpec,
} from './validate-spec';

// The original's test vectors (executors.md §1.3): this spec is valid.
function validSpec(): ExecutorSpec {
  return {
    funcname: 'execute',
    maxexectime: 10,
    maxretries: 3,
    conditions: { nodes: 1, processespernode: 1, cpu: '100m', mem: '1000Mi', walltime: 100 },
    kwargs: { cmd: 'echo', 'docker-image': 'busybox' },
  };
}

describe('validateFunctionSpec', () => {
  it('accepts the reference valid spec', () => {
    expect(validateFunctionSpec(validSpec())).toBeUndefined();
  });

  it('checks the rules in the original order with the original messages', () => {
    const spec = validSpec();
    spec.conditions.processespernode = 0;
    spec.conditions.nodes = 0;
    expect(validateFunctionSpec(spec)).toBe('Invalid funcspec, processespernode cannot be 0');
    spec.conditions.processespernode = 1;
    expect(validateFunctionSpec(spec)).toBe('Invalid funcspec, nodes cannot be 0');
    spec.conditions.nodes = 1;
    spec.conditions.walltime = 0;
    expect(validateFunctionSpec(spec)).toBe('Invalid funcspec, walltime cannot be 0');
    spec.conditions.walltime = 100;
    spec.maxexectime = -1;
    expect(validateFunctionSpec(spec)).toBe('Invalid funcspec, maxexectime must be set to a larger value than 0');
    spec.maxexectime = 1000;
    expect(validateFunctionSpec(spec)).toBe('Invalid funcspec, walltime must be >= maxexectime');
    spec.maxexectime = 100; // equal passes, as in the original
    spec.maxretries = 0;
    expect(validateFunctionSpec(spec)).toBe('Invalid funcspec, maxretries must be set to a larger value than 0');
    spec.maxretries = 3;
    spec.conditions.mem = '-1Mi';
    expect(validateFunctionSpec(spec)).toBe('Memory cannot be negative');
    spec.conditions.mem = '1000Mib';
    expect(validateFunctionSpec(spec)).toMatch(/Invalid memory value "1000Mib"/);
    spec.conditions.mem = '1Gi';
    spec.conditions.cpu = '';
    expect(validateFunctionSpec(spec)).toMatch(/Invalid CPU value ""/);
    spec.conditions.cpu = '-100m';
    expect(validateFunctionSpec(spec)).toBe('CPU cannot be negative');
    spec.conditions.cpu = '1.5m';
    expect(validateFunctionSpec(spec)).toMatch(/Invalid CPU value "1.5m"/);
  });

  it('fixes the original bugs: negative counts rejected, 1m accepted', () => {
    const spec = validSpec();
    spec.conditions.nodes = -2;
    expect(validateFunctionSpec(spec)).toMatch(/nodes must be a positive integer, got -2/);
    spec.conditions.nodes = 1;
    spec.conditions.cpu = '1m';
    expect(validateFunctionSpec(spec)).toBeUndefined();
  });

  it('parses memory in every unit the server accepts', () => {
    expect(parseMemoryBytes('1000Mi')).toBe(1000 * 1024 ** 2);
    expect(parseMemoryBytes('2Gi')).toBe(2 * 1024 ** 3);
    expect(parseMemoryBytes('512Ki')).toBe(512 * 1024);
    expect(parseMemoryBytes('1G')).toBe(1e9);
    expect(parseMemoryBytes('12')).toBeUndefined();
  });
});

describe('parseKwargs / buildCommand', () => {
  it('builds cmd + args with the first {processid} of each arg substituted', () => {
    const kwargs = parseKwargs({ kwargs: { cmd: 'python3', 'docker-image': 'python:3.12', args: ['/cfs/{processid}/main.py', '{processid}-{processid}'] } });
    expect('error' in kwargs).toBe(false);
    if ('error' in kwargs) return;
    // Braces are not a plain shell word (bash expands `{a,b}`): quoted.
    expect(buildCommand(kwargs, 'PID')).toBe("python3 /cfs/PID/main.py 'PID-{processid}'");
  });

  // Issue #13, case 5: args were joined unquoted into `sh -c`.
  it('quotes each arg that needs it and leaves ordinary paths byte-identical', () => {
    const build = (args: string[]) => {
      const kwargs = parseKwargs({ kwargs: { cmd: 'python3', 'docker-image': 'python:3.12', args } });
      if ('error' in kwargs) throw new Error(kwargs.error);
      return buildCommand(kwargs, 'PID');
    };
    expect(build(['/cfs/pollinator/p/abc/src/main.py'])).toBe('python3 /cfs/pollinator/p/abc/src/main.py');
    expect(build(['/cfs/pollinator/p/abc/src/x;echo INJECTED $(id -u);.sh'])).toBe(
      "python3 '/cfs/pollinator/p/abc/src/x;echo INJECTED $(id -u);.sh'",
    );
    expect(build(['/cfs/src/my script.py', "it's", ''])).toBe("python3 '/cfs/src/my script.py' 'it'\\''s' ''");
  });

  it('reports the original errors for a missing image or cmd, and a non-string arg instead of crashing', () => {
    expect(parseKwargs({ kwargs: { cmd: 'x' } })).toEqual({ error: 'Failed to parse docker image flag' });
    expect(parseKwargs({ kwargs: { 'docker-image': 'x' } })).toEqual({ error: 'Failed to parse cmd kwarg' });
    expect(parseKwargs({ kwargs: { 'docker-image': 'x', cmd: 'x', args: ['a', 3] } })).toEqual({
      error: 'Failed to parse args: kwargs.args[1] must be a string, got 3',
    });
  });

  it('reads init-cmd and rebuild-image leniently as the original', () => {
    expect(parseKwargs({ kwargs: { 'docker-image': 'i', cmd: 'c', 'init-cmd': 5, 'rebuild-image': 'yes' } })).toEqual({
      image: 'i',
      cmd: 'c',
      initCommand: '',
      rebuildImage: false,
      args: [],
    });
  });
});

describe('stagingPath', () => {
  it('is <fsDir><dir> with {processid} substituted, and refuses escapes', () => {
    expect(stagingPath('/srv/fs', '/pollinator/p/{processid}/src', 'PID')).toBe('/srv/fs/pollinator/p/PID/src');
    expect(stagingPath('/srv/fs/', '/a/b', 'PID')).toBe('/srv/fs/a/b');
    expect(() => stagingPath('/srv/fs', '/a/../../etc', 'PID')).toThrow(/not a normal path/);
    expect(() => stagingPath('/srv/fs', 'relative', 'PID')).toThrow(/absolute/);
  });
});

describe('validateFunctionSpec with values of the wrong type (a hostile spec)', () => {
  it('names conditions.cpu and conditions.mem instead of throwing', () => {
    const spec = validSpec();
    (spec.conditions as { mem: unknown }).mem = 1000;
    expect(validateFunctionSpec(spec)).toBe('Invalid funcspec, conditions.mem must be a string such as "1000Mi", got 1000');
    spec.conditions.mem = '1000Mi';
    (spec.conditions as { cpu: unknown }).cpu = null;
    expect(validateFunctionSpec(spec)).toBe('Invalid funcspec, conditions.cpu must be a string such as "1000m", got null');
  });

  it('names a walltime that is not a number', () => {
    const spec = validSpec();
    (spec.conditions as { walltime: unknown }).walltime = '100';
    spec.maxexectime = 10;
    expect(validateFunctionSpec(spec)).toMatch(/conditions\.walltime must be a number/);
  });
});

describe('ExecutorSpec', () => {
  // Issue #18: the executor's view of a spec is derived from the one wire type, so the two cannot drift apart.
  it('accepts a FunctionSpec of the client as it is, and the looser specs a server may send', () => {
    const wire: FunctionSpec = {
      nodename: '',
      funcname: 'execute',
      args: [],
      kwargs: { cmd: 'echo', 'docker-image': 'busybox' },
      priority: 0,
      maxwaittime: -1,
      maxexectime: 10,
      maxretries: 3,
      conditions: {
        colonyname: 'c',
        executornames: [],
        executortype: 'container-executor',
        dependencies: [],
        nodes: 1,
        cpu: '100m',
        processes: 1,
        processespernode: 1,
        mem: '1000Mi',
        storage: '',
        gpu: { name: '', mem: '', count: 0, nodecount: 0 },
        walltime: 100,
      },
      label: '',
      fs: { mount: '/cfs', snapshots: [], dirs: [] },
      env: {},
    };
    const asExecutorSpec: ExecutorSpec = wire;
    expect(validateFunctionSpec(asExecutorSpec)).toBeUndefined();
    const loose: ExecutorSpec = {
      ...validSpec(),
      args: null,
      kwargs: null,
      fs: null,
      env: null,
      conditions: { ...validSpec().conditions, gpu: null },
    };
    expect(validateFunctionSpec(loose)).toBeUndefined();
    expect(parseKwargs(loose)).toEqual({ error: 'Failed to parse docker image flag' });
  });
});
