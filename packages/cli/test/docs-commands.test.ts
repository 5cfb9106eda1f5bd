import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_VARIABLE_PREFIXES, KNOWN_VARIABLES } from '../src/config/known-variables';
import { CliExitCode } from '../src/exit-codes';
import { cliShellCommand, createSandbox, definedOnly, repoRoot, runCli, stopEmbeddedService, type Sandbox } from './cli-harness';
import { extractTranscripts, matchTranscript, normalizeOutput, substituteIds, type IdMap, type Transcript } from './docs-transcripts';

// Docs that are true: the transcripts in the documentation are run, command
// by command, through the real binary on the embedded default (nothing
// configured, like a new user), and the documented output must be what is
// printed. The tables that restate code (exit codes, environment variables,
// commands and options, quoted error messages) are compared with the code.

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const documentationFiles = ['README.md', ...readdirSync(join(repoRoot, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** A user's machine: a home directory, `pollinator` on PATH, no Docker or Podman (jobs run as processes). */
interface Machine {
  sandbox: Sandbox;
  home: string;
  env: Record<string, string | undefined>;
  cleanup(): void;
}

function writeShim(dir: string, name: string, body: string): void {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

function createMachine(): Machine {
  const sandbox = createSandbox();
  const home = sandbox.env.HOME ?? join(sandbox.dir, 'home');
  const bin = join(sandbox.dir, 'bin');
  mkdirSync(home, { recursive: true });
  mkdirSync(bin);
  writeShim(bin, 'pollinator', `exec ${cliShellCommand()} "$@"`);
  // Whether Docker answers decides where the embedded default runs a job; the docs show a machine without.
  writeShim(bin, 'docker', 'exit 127');
  writeShim(bin, 'podman', 'exit 127');
  // The workspace is installed already (scripts/demo.sh runs `pnpm install`); everything else is the real pnpm.
  const pnpm = execFileSync('bash', ['-c', 'command -v pnpm'], { encoding: 'utf8' }).trim();
  writeShim(bin, 'pnpm', `[ "$1" = install ] && exit 0\nexec '${pnpm}' "$@"`);
  const env = { ...sandbox.env, POLLINATOR_DATA_DIR: undefined, PATH: `${bin}:${process.env.PATH ?? ''}` };
  return {
    sandbox,
    home,
    env,
    cleanup: () => {
      stopEmbeddedService(join(home, '.local', 'share', 'pollinator'));
      sandbox.cleanup();
    },
  };
}

/** Runs one command line with bash as a terminal would show it: stdout and stderr interleaved in one stream. */
function runStep(machine: Machine, cwd: string, command: string, previousStatus: number): Promise<{ status: number; output: string; cwd: string }> {
  const cwdFile = join(machine.sandbox.dir, 'cwd-after');
  const script = 'exec 2>&1; cd "$1" || exit 99; (exit "$2"); eval "$3"; status=$?; pwd > "$4"; exit $status';
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'transcript', cwd, String(previousStatus), command, cwdFile], {
      env: definedOnly(machine.env),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      // No file: the command line ended the shell (`exit`, `exec`) or could not enter `cwd`; the directory stays.
      const after = existsSync(cwdFile) ? readFileSync(cwdFile, 'utf8').trim() : cwd;
      rmSync(cwdFile, { force: true });
      resolve({ status: status ?? -1, output, cwd: after });
    });
  });
}

/**
 * `~/pollinator`, a clone of this repository as the README's Quick start has
 * it (with the working tree's files, so uncommitted docs and scripts are what
 * is tested): the sources are copied, the installed dependencies are shared.
 */
function cloneRepository(machine: Machine): void {
  const clone = join(machine.home, 'pollinator');
  if (existsSync(clone)) return;
  mkdirSync(clone);
  for (const file of readdirSync(repoRoot)) {
    if (/^(package\.json|pnpm-workspace\.yaml|tsconfig.*\.json)$/.test(file)) cpSync(join(repoRoot, file), join(clone, file));
  }
  cpSync(join(repoRoot, 'scripts'), join(clone, 'scripts'), { recursive: true });
  // node_modules of each package are links into the root's node_modules: kept as they are, relative.
  cpSync(join(repoRoot, 'packages'), join(clone, 'packages'), {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => !/\/(dist|\.turbo)$/.test(source),
  });
  symlinkSync(join(repoRoot, 'node_modules'), join(clone, 'node_modules'));
}

async function runTranscript(machine: Machine, transcript: Transcript, ids: IdMap): Promise<void> {
  if (transcript.cwd === 'pollinator') cloneRepository(machine);
  let cwd = join(machine.home, transcript.cwd);
  let status = 0;
  for (const [index, step] of transcript.steps.entries()) {
    const where = `${transcript.file}:${step.line} $ ${step.command}`;
    const result = await runStep(machine, cwd, substituteIds(step.command, ids), status);
    const printed = normalizeOutput(result.output, machine.home);
    const verdict = matchTranscript(step.expected, printed, ids);
    if (!verdict.ok) expect.fail(`${where}\n${verdict.reason}\nprinted:\n${printed.join('\n')}`);
    // A failing command is documented as such: the transcript shows its status next.
    if (result.status !== 0) expect(transcript.steps[index + 1]?.command, `${where} exited ${result.status}; follow it with "$ echo $?"`).toBe('echo $?');
    status = result.status;
    cwd = result.cwd;
  }
}

describe.each(documentationFiles.filter((file) => extractTranscripts(read(file), file).length > 0))('the transcripts in %s', (file) => {
  let machine: Machine;
  const ids: IdMap = new Map();
  beforeAll(() => {
    machine = createMachine();
  });
  afterAll(() => machine.cleanup());

  // One machine per file, the transcripts in order: a later one continues where the one before stopped.
  it.each(extractTranscripts(read(file), file).map((transcript) => [transcript.line, transcript] as const))(
    'the console block at line %i prints what it shows',
    { timeout: 240_000 },
    async (_line, transcript) => {
      await runTranscript(machine, transcript, ids);
    },
  );
});

describe('the documented transcripts', () => {
  it('cover the quick start, getting started and a run looked up by a short id', () => {
    const commands = (file: string) => extractTranscripts(read(file), file).flatMap((transcript) => transcript.steps.map((step) => step.command));
    expect(commands('README.md')).toContainEqual(expect.stringMatching(/^bash scripts\/demo\.sh/));
    const gettingStarted = commands('docs/getting-started.md');
    for (const pattern of [/^pollinator new /, /pollinator plan$/, /pollinator run$/, /^pollinator status [0-9a-f]{4,12}$/, /^pollinator pull/, /^pollinator run > job\.log$/]) {
      expect(gettingStarted, String(pattern)).toContainEqual(expect.stringMatching(pattern));
    }
  });
});

/** The rows of the first markdown table at or after `heading` (a heading or a header row), header and separator left out. */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  let inTable = false;
  for (const line of markdown.slice(start).split('\n').slice(heading.startsWith('|') ? 0 : 1)) {
    if (line.startsWith('|')) {
      inTable = true;
      rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim()));
    } else if (inTable) break;
  }
  return rows.slice(2);
}

describe('tables that restate the code', () => {
  it('docs/exit-codes.md lists exactly the codes of CliExitCode, by name', () => {
    const documented = new Map<string, number>();
    for (const [code, name] of tableAfter(read('docs/exit-codes.md'), '| code | name')) {
      const constant = /`([A-Z_]+)`/.exec(name ?? '')?.[1];
      if (constant !== undefined) documented.set(constant, Number(code));
    }
    expect(Object.fromEntries(documented)).toEqual({ ...CliExitCode });
  });

  it('docs/cli.md lists exactly the codes of CliExitCode', () => {
    const codes = tableAfter(read('docs/cli.md'), '## Errors and exit codes').map(([code]) => Number(code));
    expect(codes).toEqual([...new Set(Object.values(CliExitCode))].sort((a, b) => a - b));
  });

  it('docs/configuration.md lists exactly the variables pollinator reads', () => {
    const markdown = read('docs/configuration.md');
    const section = markdown.slice(markdown.indexOf('## Variables'), markdown.indexOf('\n## ', markdown.indexOf('## Variables') + 1));
    const documented = new Set<string>();
    for (const line of section.split('\n').filter((text) => text.startsWith('| `'))) {
      const firstCell = line.split('|')[1] ?? '';
      for (const [, name] of firstCell.matchAll(/`([A-Z0-9_<>]+)`/g)) documented.add(name ?? '');
    }
    const ours = [...documented].filter((name) => /^(COLONIES_|COLONYOS_|AWS_S3_|POLLINATOR_)/.test(name));
    const expected = [...KNOWN_VARIABLES.map((variable) => variable.name), ...KNOWN_VARIABLE_PREFIXES.map((prefix) => `${prefix}<NAME>`)];
    expect(ours.sort()).toEqual(expected.sort());
  });
});

describe('docs/cli.md and --help', () => {
  let helpSandbox: Sandbox;
  beforeAll(() => {
    helpSandbox = createSandbox();
  });
  afterAll(() => helpSandbox.cleanup());

  it('the command table names exactly the commands of `pollinator --help`', async () => {
    const help = await runCli(['--help'], { env: helpSandbox.env });
    const commandsSection = help.stdout.slice(help.stdout.indexOf('Commands:'), help.stdout.indexOf('Examples:'));
    const helpCommands = [...commandsSection.matchAll(/^ {2}([a-z]+)\b/gm)].map((match) => match[1]).filter((name) => name !== 'help');
    const documented = tableAfter(read('docs/cli.md'), '| command | what it does |').map(([cell]) => /`([a-z]+)/.exec(cell ?? '')?.[1]);
    expect(documented).toEqual(helpCommands);
  });

  it('every option of a command synopsis in docs/cli.md is in that command\'s --help', async () => {
    const markdown = read('docs/cli.md');
    const env = helpSandbox.env;
    const synopses = [...markdown.matchAll(/^## ([a-z ]+)\n\n```\n([\s\S]*?)```/gm)];
    expect(synopses.length).toBeGreaterThan(10);
    for (const [, section, block] of synopses) {
      for (const line of (block ?? '').split('\n').filter((text) => text.startsWith('pollinator '))) {
        const words = line.split(/\s+/).slice(1);
        const command = words.filter((word) => /^[a-z]+$/.test(word)).slice(0, (section ?? '').startsWith('executor ') || /^(dev) (status|stop)/.test(line.slice(11)) ? 2 : 1);
        const help = await runCli([...command, '--help'], { env });
        expect(help.code, `${line}: ${help.stderr}`).toBe(0);
        for (const [option] of line.matchAll(/--[a-z][a-z-]*/g)) expect(help.stdout, `${line}: ${option}`).toContain(option);
      }
    }
  });

  it('the global options table matches `pollinator --help`', async () => {
    const help = await runCli(['--help'], { env: helpSandbox.env });
    for (const [option] of tableAfter(read('docs/cli.md'), '| option | effect |')) {
      expect(help.stdout, option).toContain((option ?? '').replace(/`/g, ''));
    }
  });
});

/** The source of every package (no tests): where a quoted message must come from. */
function packageSources(): string {
  const texts: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== '__fixtures__') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.includes('.test')) texts.push(readFileSync(path, 'utf8'));
    }
  };
  for (const name of readdirSync(join(repoRoot, 'packages'))) walk(join(repoRoot, 'packages', name, 'src'));
  return texts.join('\n');
}

describe('docs/troubleshooting.md', () => {
  it('quotes only messages pollinator prints', () => {
    const sources = packageSources();
    const markdown = read('docs/troubleshooting.md');
    // The messages are the code spans of the headings and of the bullets that start with one.
    const quoted = [...markdown.matchAll(/^(?:## .*|- `.*)$/gm)].flatMap((line) => [...line[0].matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? ''));
    const messages = quoted.filter((text) => /^[A-Z]/.test(text) && text.includes(' ') || text.startsWith('project.yaml is') || text.startsWith("pollinator's"));
    expect(messages.length).toBeGreaterThan(4);
    for (const message of messages) {
      // `…`, `<endpoint>` and a single capital (`N problems`, `did you mean Y?`) stand for what varies; each fixed part is in the source.
      for (const part of message.split(/…|<[^>]+>|\b[A-Z]\b/).map((text) => text.trim()).filter((text) => text.length > 3)) {
        expect(sources.includes(part), `"${message}" (the part "${part}") is not printed by any package`).toBe(true);
      }
    }
  });
});

describe('the --json error shape in docs/cli.md', () => {
  let jsonSandbox: Sandbox;
  beforeAll(() => {
    jsonSandbox = createSandbox();
  });
  afterAll(() => jsonSandbox.cleanup());

  it('names exactly the fields of an `issues` entry: the schema\'s, and what a bad project.yaml prints', async () => {
    const markdown = read('docs/cli.md');
    const listed = /`issues` \(project\.yaml problems: ([^)]*)\)/.exec(markdown)?.[1];
    expect(listed, 'docs/cli.md describes the fields of `issues`').toBeDefined();
    const documented = [...(listed ?? '').matchAll(/`([a-zA-Z]+)`/g)].map((match) => match[1]).sort();
    const schema = JSON.parse(read('packages/cli/schema/events.schema.json')) as { definitions: { projectIssue: { properties: Record<string, unknown> } } };
    expect(documented).toEqual(Object.keys(schema.definitions.projectIssue.properties).sort());

    const created = await runCli(['new', 'bad'], { cwd: jsonSandbox.dir, env: jsonSandbox.env });
    expect(created.code, created.stderr).toBe(0);
    const yamlPath = join(jsonSandbox.dir, 'bad', 'project.yaml');
    writeFileSync(yamlPath, readFileSync(yamlPath, 'utf8').replace(/^ {2}nodes: 1$/m, '  nodez: 1').replace('cpu: 1000m', 'cpu: 2'));
    const planned = await runCli(['plan', '--json'], { cwd: join(jsonSandbox.dir, 'bad'), env: jsonSandbox.env });
    expect(planned.code).toBe(CliExitCode.INVALID_PROJECT);
    const error = planned.events().find((event) => event.type === 'error') as { issues: Array<Record<string, unknown>> } | undefined;
    expect(error?.issues).toHaveLength(2);
    const printed = new Set(error?.issues.flatMap((issue) => Object.keys(issue)));
    for (const key of printed) expect(documented, key).toContain(key);
    expect(printed).toContain('suggestion');
  });
});
describe('the project name in docs/project-yaml.md', () => {
  it('is the format project.yaml accepts', async () => {
    const { parseProject, projectYamlTemplate } = await import('@pollinator/spec-builder');
    const template = projectYamlTemplate({ projectName: 'placeholder' });
    const accepted = (name: string) => parseProject(template.replace('projectname: placeholder', `projectname: "${name}"`)).ok;
    const row = tableAfter(read('docs/project-yaml.md'), '### Top level').find(([key]) => key === '`projectname`')?.[3] ?? '';
    const longest = Number(/at most (\d+) characters/.exec(row)?.[1]);
    expect(accepted('a'.repeat(longest))).toBe(true);
    expect(accepted('a'.repeat(longest + 1))).toBe(false);
    for (const character of ['.', '_', '-']) expect(accepted(`a${character}b`), character).toBe(row.includes(`\`${character}\``));
    for (const refused of [' ', '/', ':']) expect(accepted(`a${refused}b`), refused).toBe(false);
    // What a name may not start with: the docs say it exactly when the parser refuses it.
    const cannotStart = /not start(?:ing)? with ((?:`.`(?:,? or |, )?)+)/.exec(row)?.[1] ?? '';
    for (const character of ['.', '-', '_']) {
      expect(accepted(`${character}ab`), `a name starting with ${character}`).toBe(!cannotStart.includes(`\`${character}\``));
    }
  });
});

describe('install instructions', () => {
  it('say whether @pollinator/cli is on the registry: "not published" next to every npm install of it until the first release, nowhere after', () => {
    const { version } = JSON.parse(read('packages/cli/package.json')) as { version: string };
    // Changesets bumps the version at the first release; until then the registry has no @pollinator/cli.
    const published = version !== '0.0.0';
    for (const file of documentationFiles) {
      const text = read(file).replace(/\s+/g, ' ');
      if (published) expect(text, `${file} still says the packages are not published`).not.toMatch(/not published/);
      for (const match of text.matchAll(/(npm install -g|npx) @pollinator\/cli/g)) {
        const around = text.slice(Math.max(0, match.index - 300), match.index + 300);
        if (!published) expect(around, `${file}: "${match[0]}" without saying that the package is not published yet`).toMatch(/not published/);
      }
    }
  });
});
