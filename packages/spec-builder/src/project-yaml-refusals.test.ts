import { describe, expect, it } from 'vitest';
import { parseProject } from './parse-project';
import { formatProjectIssue, type ProjectIssue } from './project-issues';

// Issue #13, cases 5 and 6: values that cannot work on the cluster are refused
// when project.yaml is loaded (`project.yaml:L:C field: …`, exit 65), not on
// the cluster with a misleading exit code (126, 127, 77).

const VALID = `projectname: demo
conditions:
  executorType: container-executor
  executorNames: [lumi]
  nodes: 1
  processesPerNode: 1
  cpu: 1000m
  mem: 1000Mi
  walltime: 600
  gpu: { count: 0, name: a100 }
environment:
  docker: python:3.12
  init-cmd: pip3 install numpy
  cmd: python3
  source: main.py
  env: { MODE: fast }
slurm: { account: acct, partition: part, qos: normal }
`;

function issuesOf(text: string): ProjectIssue[] {
  const result = parseProject(text);
  if (result.ok) throw new Error('expected the project to be refused');
  return result.issues;
}

function only(text: string): string {
  const issues = issuesOf(text);
  expect(issues).toHaveLength(1);
  return formatProjectIssue(issues[0] as ProjectIssue);
}

describe('case 5: NUL and line breaks are refused where they cannot work', () => {
  it('the valid base project loads', () => {
    expect(parseProject(VALID).ok).toBe(true);
  });

  it.each([
    ['environment.cmd', 'cmd: python3', 'cmd: "python3\\nrm -rf ~"', '14:8'],
    ['environment.cmd', 'cmd: python3', 'cmd: "pyth\\0on3"', '14:8'],
    ['environment.init-cmd', 'init-cmd: pip3 install numpy', 'init-cmd: "pip3 install numpy\\r\\necho x"', '13:13'],
    ['environment.docker', 'docker: python:3.12', 'docker: "python:3.12\\n"', '12:11'],
    ['environment.source', 'source: main.py', 'source: "main\\n.py"', '15:11'],
    ['environment.source', 'source: main.py', 'source: "main\\0.py"', '15:11'],
    ['environment.env.MODE', 'MODE: fast', 'MODE: "fast\\nexport X=1"', '16:16'],
    ['conditions.executorType', 'executorType: container-executor', 'executorType: "container-executor\\n"', '3:17'],
    ['conditions.executorNames[0]', '[lumi]', '["lu\\u2028mi"]', '4:19'],
    ['conditions.gpu.name', 'name: a100', 'name: "a100\\u0000"', '10:26'],
    ['slurm.account', 'account: acct', 'account: "acct\\n#SBATCH --uid=0"', '17:19'],
    ['slurm.partition', 'partition: part', 'partition: "part\\n"', '17:36'],
    ['slurm.qos', 'qos: normal', 'qos: "nor\\vmal"', '17:47'],
  ])('%s: %s → %s', (path, from, to, where) => {
    const text = VALID.replace(from, to);
    expect(text).not.toBe(VALID);
    expect(only(text)).toMatch(
      new RegExp(`^project\\.yaml:${where} ${path.replace(/[.[\]]/g, '\\$&')}: contains (a NUL character|a line feed \\(\\\\n\\)|a carriage return \\(\\\\r\\)|a line break \\(\\\\u[0-9a-f]{4}\\)) at character \\d+; the value must be one line without NUL characters`),
    );
  });

  it('names the character and its position', () => {
    expect(only(VALID.replace('cmd: python3', 'cmd: "python3\\nrm"'))).toMatch(/contains a line feed \(\\n\) at character 8;/);
  });

  it('refuses a block scalar (several lines) for cmd and init-cmd', () => {
    expect(only(VALID.replace('init-cmd: pip3 install numpy', 'init-cmd: |\n    pip3 install numpy\n    pip3 install scipy'))).toMatch(
      /^project\.yaml:13:13 environment\.init-cmd: contains a line feed \(\\n\) at character 19;.*join several with &&$/,
    );
  });

  it('refuses an environment variable name with a line break or NUL', () => {
    expect(only(VALID.replace('MODE: fast', '"MO\\u2028DE": fast'))).toBe(
      'project.yaml:16:10 environment.env["MO\\u2028DE"]: "MO\\u2028DE" is not a valid environment variable name; found "MO\\u2028DE"; ' +
        'allowed: letters, digits and "_", not starting with a digit; not PROJECT_DIR or COLONIES_PROCESS_ID, not starting with COLONIES_, EXECUTOR_ or AWS_S3_',
    );
    expect(only(VALID.replace('MODE: fast', '"MO\\nDE": fast'))).toMatch(/^project\.yaml:16:10 environment\.env\["MO\\nDE"\]: "MO\\nDE" is not a valid environment variable name/);
  });

  it('refuses __proto__ as an environment variable name instead of dropping it', () => {
    expect(only(VALID.replace('MODE: fast', '__proto__: x'))).toMatch(/^project\.yaml:16:10 environment\.env\.__proto__: __proto__ cannot be passed as an environment variable/);
  });

  it('refuses a projectname with a line break', () => {
    expect(only(VALID.replace('projectname: demo', 'projectname: "de\\nmo"'))).toMatch(/^project\.yaml:1:14 projectname: invalid value/);
  });

  it('refuses an image that would be read as an option', () => {
    expect(only(VALID.replace('docker: python:3.12', 'docker: "--privileged"'))).toMatch(
      /^project\.yaml:12:11 environment\.docker: an image reference cannot start with "-"/,
    );
  });

  it('refuses strings over the size limit', () => {
    expect(only(VALID.replace('MODE: fast', `MODE: "${'x'.repeat(70_000)}"`))).toMatch(
      /^project\.yaml:16:\d+ environment\.env\.MODE: is 70000 bytes long; the limit is 65536 bytes/,
    );
  });

  it.each([
    ['/etc/passwd', 'source must be relative to cfs/src'],
    ['C:\\\\x.py', 'source must be relative to cfs/src'],
    ['../secret.py', 'source must stay inside cfs/src (no "..")'],
    ['lib/../../x.py', 'source must stay inside cfs/src (no "..")'],
  ])('source %s is refused', (source, message) => {
    expect(only(VALID.replace('source: main.py', `source: "${source}"`))).toContain(`environment.source: ${message}`);
  });

  it.each(['my script.py', 'x;echo INJECTED $(id -u);.sh', "it's \"quoted\" & `ticked`.py", 'dir/ünïcödé.py'])(
    'source %s is valid (the executor passes it as one quoted argument)',
    (source) => {
      const result = parseProject(VALID.replace('source: main.py', `source: ${JSON.stringify(source)}`));
      expect(result.ok && result.project.environment.source).toBe(source);
    },
  );

  it('still loads a file with Windows line endings (the \\r belongs to the line break, not to the values)', () => {
    const result = parseProject(VALID.replace(/\n/g, '\r\n'));
    expect(result.ok && [result.project.environment.cmd, result.project.slurm.qos]).toEqual(['python3', 'normal']);
  });

  it('keeps tabs and shell syntax in commands', () => {
    const result = parseProject(VALID.replace('cmd: python3', 'cmd: "python3 -u\\t-X dev && echo $HOME | tee x"'));
    expect(result.ok).toBe(true);
  });
});

describe('case 6: every number has an upper bound, reported with its location', () => {
  it.each([
    ['walltime: 600', 'walltime: 7400000000', '9:13 conditions.walltime: walltime is more than 31536000 seconds (365 days)'],
    ['walltime: 600', 'walltime: 31536001', '9:13 conditions.walltime: walltime is more than 31536000 seconds'],
    ['walltime: 600', 'walltime: 1e400', '9:13 conditions.walltime: invalid value; found Infinity (number)'],
    ['mem: 1000Mi', 'mem: 99999999999999Gi', '8:8 conditions.mem: memory is more than 1048576Gi (1 PiB)'],
    ['mem: 1000Mi', `mem: ${'9'.repeat(400)}Mi`, '8:8 conditions.mem: memory is more than 1048576Gi (1 PiB)'],
    ['cpu: 1000m', 'cpu: 100000001m', '7:8 conditions.cpu: cpu is more than 100000000m (100,000 cores)'],
    ['count: 0', 'count: 5000', '10:17 conditions.gpu.count: invalid value; found 5000 (number); allowed: a whole number of GPUs per node from 0 to 1024'],
    ['nodes: 1', 'nodes: 128', '5:10 conditions.nodes: invalid value'],
    ['processesPerNode: 1', 'processesPerNode: 100000', '6:21 conditions.processesPerNode: invalid value'],
  ])('%s → %s', (from, to, expected) => {
    expect(only(VALID.replace(from, to))).toContain(`project.yaml:${expected}`);
  });

  it('reports a walltime beyond the safe integers as invalid and too large', () => {
    expect(issuesOf(VALID.replace('walltime: 600', 'walltime: 99999999999999999999999')).map(formatProjectIssue)).toEqual([
      expect.stringMatching(/^project\.yaml:9:13 conditions\.walltime: invalid value; found 1e\+23 \(number\)/),
      expect.stringMatching(/^project\.yaml:9:13 conditions\.walltime: walltime is more than 31536000 seconds/),
    ]);
  });

  it('bounds retries and ports', () => {
    expect(only(`${VALID}retries: 101\n`)).toContain('project.yaml:18:10 retries: invalid value');
    expect(only(`${VALID}tunnel: { port: 65536 }\n`)).toContain('project.yaml:18:17 tunnel.port: invalid value');
  });

  it('accepts the bounds themselves', () => {
    const text = VALID.replace('walltime: 600', 'walltime: 31536000').replace('mem: 1000Mi', 'mem: 1048576Gi').replace('cpu: 1000m', 'cpu: 100000000m').replace('count: 0', 'count: 1024');
    expect(parseProject(text).ok).toBe(true);
  });
});
