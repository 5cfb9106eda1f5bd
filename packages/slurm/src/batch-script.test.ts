/**
 * Golden tests of rendered batch scripts (`__fixtures__/*.sbatch`), and a check
 * that bash really hands every value to the job byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendError, type JobRequest } from '@pollinator/backend';
import { buildBatchScript, renderBatchScript, type BatchScriptSettings } from './batch-script';

const PID = 'a3f1c0de5b7e4c2d9f8a6b1e0d3c5a7f9e2b4d6c8a0f1e3d5b7c9a1e3f5d7b9c';

const NASTY_ENV = {
  QUOTES: `single ' double " back \\ tick \``,
  DOLLAR: '$HOME ${PATH} $(id -u) $((1+1))',
  LOGIC: 'a && b || c; d | e > /tmp/x < /dev/null &',
  NEWLINES: 'line one\nline two\n\nlast',
  UNICODE: 'héllo wörld — 日本語 🚀',
  HTML: '<b>&amp;</b> + 1',
  EMPTY: '',
};

function job(overrides: Partial<JobRequest> = {}): JobRequest {
  return {
    processId: PID,
    image: 'python:3.12-slim',
    rebuildImage: false,
    initCommand: '',
    command: 'python3 /cfs/pollinator/proj/snap/src/main.py',
    env: { PROJECT_DIR: '/cfs/pollinator/proj', COLONIES_PROCESS_ID: PID },
    resources: { nodes: 1, processesPerNode: 1, cpuMillicores: 1000, memoryBytes: 1000 * 1024 * 1024, gpu: { count: 0, name: '' }, walltimeSeconds: 600 },
    mounts: [{ hostPath: '/scratch/pollinator/cfs', containerPath: '/cfs' }],
    protectedPaths: [],
    placement: {},
    workDir: '/scratch/pollinator/work/' + PID,
    ...overrides,
  };
}

function settings(overrides: Partial<BatchScriptSettings> = {}): BatchScriptSettings {
  return {
    runtime: 'singularity',
    runtimeCommand: 'singularity',
    imagePath: '/scratch/pollinator/images/python_3.12-slim-0123456789ab.sif',
    gpuOption: 'gres',
    gpuRuntimeFlag: 'nv',
    sbatchLines: [],
    modules: [],
    setupLines: [],
    siteEnv: {},
    secretPrefixes: ['COLONIES_', 'AWS_S3_', 'EXECUTOR_'],
    srun: true,
    mountWrapper: 'bwrap',
    // Golden scripts do not depend on this machine's filesystem.
    pathKind: () => undefined,
    ...overrides,
  };
}

function render(request: JobRequest, site: BatchScriptSettings): string {
  return renderBatchScript(buildBatchScript(request, site));
}

describe('rendered batch scripts (golden)', () => {
  it('the sample project with Singularity and executor defaults', async () => {
    await expect(render(job(), settings({ partition: 'debug' }))).toMatchFileSnapshot('./__fixtures__/singularity-default.sbatch');
  });

  it('a Leonardo-like site: placement from the project, GPUs, modules, site lines, init command', async () => {
    const script = render(
      job({
        initCommand: 'pip3 install numpy',
        command: `python3 -c "print(1+1)" && echo 'a<b>' | tee "$PROJECT_DIR/result/out.txt"`,
        resources: { nodes: 2, processesPerNode: 4, cpuMillicores: 2400, memoryBytes: 10 * 1024 ** 3, gpu: { count: 2, name: 'a100' }, walltimeSeconds: 70 },
        placement: { partition: 'boost_usr_prod', account: 'euhpc_d02_030', qos: 'boost_qos_dbg' },
        env: { PROJECT_DIR: '/cfs/pollinator/proj', COLONIES_PROCESS_ID: PID, B: 'x y' },
        mounts: [
          { hostPath: '/leonardo_scratch/fast/pollinator/cfs', containerPath: '/cfs' },
          { hostPath: '/leonardo/datasets', containerPath: '/datasets' },
        ],
      }),
      settings({
        partition: 'ignored_default',
        account: 'ignored_default',
        modules: ['singularity/3.8.7', 'cuda/12.1'],
        sbatchLines: ['#SBATCH --constraint=gpu', '--exclusive'],
        setupLines: ['export TMPDIR=$CINECA_SCRATCH/tmp'],
        siteEnv: { APPTAINER_CACHEDIR: '/leonardo_scratch/fast/cache' },
      }),
    );
    await expect(script).toMatchFileSnapshot('./__fixtures__/singularity-gpu-site.sbatch');
  });

  it('commands and env values with quotes, $, &&, newlines and unicode', async () => {
    const script = render(
      job({
        command: `echo "it's \\"quoted\\"" && printf '%s\\n' "$QUOTES" $HOME; echo 🚀\necho second line`,
        env: { ...NASTY_ENV, PROJECT_DIR: '/cfs/pollinator/proj', COLONIES_PROCESS_ID: PID },
      }),
      settings(),
    );
    await expect(script).toMatchFileSnapshot('./__fixtures__/quoting.sbatch');
  });

  it('Apptainer, --gpus-per-node and ROCm', async () => {
    const script = render(
      job({ resources: { nodes: 1, processesPerNode: 1, cpuMillicores: 0, memoryBytes: 0, gpu: { count: 4, name: '' }, walltimeSeconds: 0 } }),
      settings({ runtime: 'apptainer', runtimeCommand: '/opt/apptainer/bin/apptainer', gpuOption: 'gpus-per-node', gpuRuntimeFlag: 'rocm' }),
    );
    await expect(script).toMatchFileSnapshot('./__fixtures__/apptainer-rocm.sbatch');
  });

  it('runtime none: mounts bound with bubblewrap, no srun', async () => {
    const script = render(job({ initCommand: 'export A=1' }), settings({ runtime: 'none', srun: false }));
    await expect(script).toMatchFileSnapshot('./__fixtures__/none-bwrap.sbatch');
  });
});

describe('batch script rules', () => {
  it('has no --mem, --time or --cpus-per-task when the spec gave none', () => {
    const script = render(
      job({ resources: { nodes: 1, processesPerNode: 1, cpuMillicores: 0, memoryBytes: 0, gpu: { count: 0, name: '' }, walltimeSeconds: 0 } }),
      settings(),
    );
    expect(script).not.toMatch(/--mem|--time|--cpus-per-task/);
  });

  it('the project placement wins over executor defaults, field by field', () => {
    const script = render(job({ placement: { account: 'proj-acct' } }), settings({ partition: 'p-default', account: 'a-default', qos: 'q-default' }));
    expect(script).toContain('#SBATCH --partition=p-default\n');
    expect(script).toContain('#SBATCH --account=proj-acct\n');
    expect(script).toContain('#SBATCH --qos=q-default\n');
  });

  it('double-quotes #SBATCH values with spaces and refuses values sbatch cannot carry', () => {
    expect(render(job({ workDir: '/scratch/my work' }), settings())).toContain('#SBATCH --output="/scratch/my work/output.log"\n');
    expect(() => render(job({ placement: { partition: 'a"b' } }), settings())).toThrow(BackendError);
    expect(() => render(job(), settings({ sbatchLines: ['--comment=a\nb'] }))).toThrow(/Invalid site #SBATCH line/);
  });

  it('leaves out (and reports) env names a shell cannot export and secrets in the job env', () => {
    const built = buildBatchScript(job({ env: { 'SLURM-JOBID': '42', AWS_S3_SECRETKEY: 'x', OK: 'yes' } }), settings());
    expect(built.exports).toEqual([['OK', 'yes']]);
    expect(built.skippedEnv).toEqual([
      { name: 'AWS_S3_SECRETKEY', why: 'names starting with COLONIES_, AWS_S3_, EXECUTOR_ are reserved for the executor' },
      { name: 'SLURM-JOBID', why: 'not a valid shell variable name' },
    ]);
    expect(() => render(job(), settings({ siteEnv: { 'BAD-NAME': 'x' } }))).toThrow(/Invalid site environment variable name "BAD-NAME"/);
  });

  it('refuses bind paths Singularity cannot express', () => {
    expect(() => render(job({ mounts: [{ hostPath: '/a,b', containerPath: '/cfs' }] }), settings())).toThrow(/contains "," or ":"/);
  });

  // Issue #13, case 2: the job never sees the executor's state, the staging root or the identities.
  it('runtime none hides the protected paths (tmpfs, /dev/null) before binding the job\'s own dirs, in a PID namespace', () => {
    const kinds: Record<string, 'directory' | 'file'> = { '/srv/state': 'directory', '/srv/fs': 'directory', '/srv/keys/executor.key': 'file' };
    const built = buildBatchScript(
      job({
        workDir: '/srv/state/jobs/p1',
        mounts: [
          { hostPath: '/srv/fs/pollinator/p/data', containerPath: '/cfs/pollinator/p/data' },
          { hostPath: '/srv/fs/pollinator/p/result', containerPath: '/cfs/pollinator/p/result' },
        ],
        protectedPaths: ['/srv/state', '/srv/fs', '/srv/keys/executor.key', '/srv/not-there'],
      }),
      settings({ runtime: 'none', srun: false, pathKind: (path) => kinds[path] }),
    );
    expect(built.run.slice(0, built.run.indexOf('--'))).toEqual([
      'bwrap', '--dev-bind', '/', '/', '--unshare-pid', '--die-with-parent',
      '--tmpfs', '/srv/fs',
      '--tmpfs', '/srv/state',
      '--ro-bind', '/dev/null', '/srv/keys/executor.key',
      '--bind', '/srv/state/jobs/p1', '/srv/state/jobs/p1',
      '--tmpfs', '/cfs',
      '--bind', '/srv/fs/pollinator/p/data', '/cfs/pollinator/p/data',
      '--bind', '/srv/fs/pollinator/p/result', '/cfs/pollinator/p/result',
    ]);
  });

  it('Singularity binds each of the job\'s dirs and nothing else (--contain)', () => {
    const built = buildBatchScript(
      job({ mounts: [{ hostPath: '/srv/fs/pollinator/p/data', containerPath: '/cfs/pollinator/p/data' }], protectedPaths: ['/srv/fs'] }),
      settings(),
    );
    const exec = built.run.slice(built.run.indexOf('exec'));
    expect(exec.slice(0, 4)).toEqual(['exec', '--contain', '--bind', '/srv/fs/pollinator/p/data:/cfs/pollinator/p/data']);
    expect(exec.join(' ')).not.toMatch(/--bind \/srv\/fs[: ]/);
  });

  it('runtime none with mountWrapper none needs identical paths', () => {
    expect(() => render(job(), settings({ runtime: 'none', mountWrapper: 'none' }))).toThrow(/cannot show/);
    const same = job({ mounts: [{ hostPath: '/cfs', containerPath: '/cfs' }] });
    expect(render(same, settings({ runtime: 'none', mountWrapper: 'none' }))).toContain('\nsrun --cpus-per-task=1 /bin/sh -c ');
  });
});

describe('the rendered script in bash', () => {
  const root = mkdtempSync(join(tmpdir(), 'pollinator-batch-script-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('gives the job every env value and the command byte for byte, and no executor secret', () => {
    const request = job({
      workDir: root,
      mounts: [{ hostPath: root, containerPath: root }],
      initCommand: `INIT_SAW="$UNICODE"; export INIT_SAW; echo "init: it's ok"`,
      command: `for name in QUOTES DOLLAR LOGIC NEWLINES UNICODE HTML EMPTY INIT_SAW; do eval "printf '%s=[%s]\\n' \\"\\$name\\" \\"\\\${$name}\\""; done; echo "secret=[\${COLONIES_PRVKEY:-}] [\${AWS_S3_SECRETKEY:-}]"; exit 4`,
      env: { ...NASTY_ENV, COLONIES_PROCESS_ID: PID },
    });
    const script = render(request, settings({ runtime: 'none', srun: false }));
    let output = '';
    let status = 0;
    try {
      output = execFileSync('bash', ['-c', script], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, COLONIES_PRVKEY: 'secret-key', AWS_S3_SECRETKEY: 'secret-s3', SLURM_JOB_ID: '42' },
      });
    } catch (error) {
      const failure = error as { status: number; stdout: string };
      status = failure.status;
      output = failure.stdout;
    }
    expect(status).toBe(4);
    const expected = Object.entries({ ...NASTY_ENV, INIT_SAW: NASTY_ENV.UNICODE })
      .map(([name, value]) => `${name}=[${value}]\n`)
      .join('');
    expect(output).toBe(`init: it's ok\n${expected}secret=[] []\n`);
    expect(readFileSync(join(root, 'exit-code'), 'utf8')).toBe('42 4\n');
  });
});
