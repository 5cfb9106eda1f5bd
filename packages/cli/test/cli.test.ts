import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '@pollinator/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliExitCode } from '../src/exit-codes';
import type { Command } from 'commander';
import { createSandbox, repoRoot, runCli, type Sandbox } from './cli-harness';

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = createSandbox();
});
afterEach(() => {
  sandbox.cleanup();
});

const run = (args: string[], env: Record<string, string | undefined> = {}, cwd?: string) =>
  runCli(args, { cwd: cwd ?? sandbox.dir, env: { ...sandbox.env, ...env } });

describe('exit codes', () => {
  it('agree with the @pollinator/core contract', () => {
    for (const [name, code] of Object.entries(ExitCode)) {
      expect(CliExitCode[name as keyof typeof CliExitCode], name).toBe(code);
    }
  });
});

describe('help and version', () => {
  it('--help lists every command with examples and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['new', 'run', 'plan', 'logs', 'status', 'ps', 'cancel', 'pull', 'executors', 'funcspec', 'dev', 'executor', 'config', 'version']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(result.stdout).toContain('Examples:');
    expect(result.stderr).toBe('');
  });

  it.each([['new'], ['run'], ['plan'], ['logs'], ['status'], ['ps'], ['cancel'], ['pull'], ['executors'], ['funcspec'], ['dev'], ['executor', 'start'], ['config'], ['version']])(
    '%s --help shows an example',
    async (...command) => {
      const result = await run([...command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Examples:');
      expect(result.stdout).toContain('$ pollinator');
      // Global flags are listed on every command.
      expect(result.stdout).toContain('--json');
    },
  );

  it('version prints text, and an object with --json', async () => {
    const text = await run(['version']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^pollinator \S+ \(node /);
    const json = await run(['version', '--json']);
    expect(json.events()).toEqual([expect.objectContaining({ type: 'version', node: process.versions.node })]);
  });
});

describe('usage errors', () => {
  it('an unknown command exits 64 with a suggestion', async () => {
    const result = await run(['stauts', 'x']);
    expect(result.code).toBe(CliExitCode.USAGE);
    expect(result.stderr).toMatch(/Unknown command 'stauts' \(did you mean status\?\)/);
    expect(result.stderr).toContain('pollinator --help');
    expect(result.stdout).toBe('');
  });

  it('an unknown option exits 64 and points at the command\'s help', async () => {
    const result = await run(['run', '--detatch']);
    expect(result.code).toBe(CliExitCode.USAGE);
    expect(result.stderr).toContain("Unknown option '--detatch'");
    expect(result.stderr).toContain('pollinator run --help');
  });

  it('a missing argument exits 64; with --json the error is also an NDJSON event', async () => {
    const result = await run(['logs', '--json']);
    expect(result.code).toBe(CliExitCode.USAGE);
    expect(result.events()).toEqual([expect.objectContaining({ type: 'error', code: 'USAGE', exitCode: 64 })]);
    expect(result.stderr).toContain("Missing required argument 'id'");
  });

  it('errors are one paragraph without a stack unless -v', async () => {
    const result = await run(['config', '--profile', 'nope']);
    expect(result.code).toBe(CliExitCode.CONFIG);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const verbose = await run(['config', '--profile', 'nope', '-v']);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });
});

describe('config', () => {
  const key = 'ddf7f7791208083b6a9ed975a72684f6406a269cfa36f1b1c32045c0a71fff05';

  it('says when the embedded default is in effect', async () => {
    const result = await run(['config']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('embedded default');
    const json = (await run(['config', '--json'])).events()[0];
    expect(json).toMatchObject({ type: 'config', mode: 'embedded', dataDir: join(sandbox.dir, 'data') });
  });

  it('shows the colony from COLONIES_* and masks secrets', async () => {
    const env = {
      COLONIES_SERVER_HOST: 'colonies.example.org',
      COLONIES_SERVER_PORT: '443',
      COLONIES_TLS: 'true',
      COLONIES_COLONY_NAME: 'hpc',
      COLONIES_PRVKEY: key,
      AWS_S3_SECRETKEY: 'very-secret-s3-key',
    };
    const result = await run(['config'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('https://colonies.example.org:443');
    expect(result.stdout).toContain('colony hpc');
    expect(result.stdout).not.toContain(key);
    expect(result.stdout).not.toContain('very-secret-s3-key');
    expect(result.stdout).toContain('••••••••ff05');
    const json = await run(['config', '--json'], env);
    expect(json.stdout).not.toContain(key);
    expect(json.events()[0]).toMatchObject({ mode: 'colony', colonyName: 'hpc' });
  });

  it('reads a profile file; the environment wins over it', async () => {
    const profiles = join(sandbox.dir, 'home', '.config', 'pollinator', 'profiles');
    mkdirSync(profiles, { recursive: true });
    writeFileSync(
      join(profiles, 'prod.env'),
      `# production colony\nexport COLONIES_SERVER_HOST=prod.example.org\nCOLONIES_COLONY_NAME="prod colony"\nCOLONIES_PRVKEY=${key}\n`,
    );
    const result = await run(['--profile', 'prod', 'config', '--json'], { COLONIES_COLONY_NAME: 'override' });
    const config = result.events()[0] as { variables: Array<{ name: string; value: string; source: string }> };
    expect(config).toMatchObject({ mode: 'colony', colonyName: 'override', profile: { name: 'prod', via: '--profile' } });
    expect(config.variables).toContainEqual({ name: 'COLONIES_SERVER_HOST', value: 'prod.example.org', secret: false, source: 'profile' });
    expect(config.variables).toContainEqual({ name: 'COLONIES_COLONY_NAME', value: 'override', secret: false, source: 'environment' });
    expect(JSON.stringify(config)).not.toContain(key);
    // POLLINATOR_PROFILE works the same way, and a missing profile is a configuration error.
    const viaEnv = await run(['config', '--json'], { POLLINATOR_PROFILE: 'prod' });
    expect(viaEnv.events()[0]).toMatchObject({ profile: { via: 'POLLINATOR_PROFILE' } });
    const missing = await run(['config'], { POLLINATOR_PROFILE: 'staging' });
    expect(missing.code).toBe(CliExitCode.CONFIG);
    expect(missing.stderr).toContain('Known profiles: prod');
  });

  it('reports a malformed profile with file:line', async () => {
    const file = join(sandbox.dir, 'bad.env');
    writeFileSync(file, 'COLONIES_SERVER_HOST=x\nthis is not an assignment\n');
    const result = await run(['--profile', file, 'config']);
    expect(result.code).toBe(CliExitCode.CONFIG);
    expect(result.stderr).toContain('bad.env:2: expected KEY=VALUE');
  });
});

describe('new', () => {
  it('scaffolds a project and says what to do next', async () => {
    const result = await run(['new', 'demo']);
    expect(result.code).toBe(0);
    for (const file of ['project.yaml', 'cfs/src/main.py', 'cfs/data/hello.txt']) {
      expect(existsSync(join(sandbox.dir, 'demo', file)), file).toBe(true);
    }
    expect(existsSync(join(sandbox.dir, 'demo', 'cfs', 'result'))).toBe(true);
    expect(readFileSync(join(sandbox.dir, 'demo', 'project.yaml'), 'utf8')).toMatch(/^projectname: demo-[0-9a-f]{6}$/m);
    expect(result.stderr).toContain('Created project demo-');
    expect(result.stderr).toContain('cd demo');
    expect(result.stderr).toContain('pollinator run');
  });

  it('refuses a non-empty directory unless --force', async () => {
    mkdirSync(join(sandbox.dir, 'busy'));
    writeFileSync(join(sandbox.dir, 'busy', 'notes.txt'), 'keep me');
    const refused = await run(['new', 'busy']);
    expect(refused.code).toBe(CliExitCode.USAGE);
    expect(refused.stderr).toContain('not empty (notes.txt)');
    expect(refused.stderr).toContain('--force');
    expect(existsSync(join(sandbox.dir, 'busy', 'project.yaml'))).toBe(false);
    const forced = await run(['new', 'busy', '--force', '--name', 'busy-project', '-n', 'hpc1']);
    expect(forced.code).toBe(0);
    const yaml = readFileSync(join(sandbox.dir, 'busy', 'project.yaml'), 'utf8');
    expect(yaml).toContain('projectname: busy-project');
    expect(yaml).toContain('executorNames: ["hpc1"]');
    expect(readFileSync(join(sandbox.dir, 'busy', 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('--json prints one project.created event', async () => {
    const result = await run(['new', 'p', '--json']);
    expect(result.events()).toEqual([
      expect.objectContaining({ type: 'project.created', files: expect.arrayContaining(['project.yaml']) }),
    ]);
    expect(result.stderr).toBe('');
  });
});

describe('docs/cli.md', () => {
  it('documents every command and every option', async () => {
    const { createProgram } = await import('../src/program');
    const { readFileSync: read } = await import('node:fs');
    const docs = read(join(repoRoot, 'docs', 'cli.md'), 'utf8');
    const program = createProgram({ invoke: async () => undefined });
    const missing: string[] = [];
    for (const option of program.options) if (!docs.includes(option.long ?? option.flags)) missing.push(option.flags);
    const visit = (command: Command, path: string) => {
      for (const child of command.commands) {
        const name = `${path}${child.name()}`.trim();
        if (child.commands.length === 0 && !docs.includes(`## ${name}`)) missing.push(`## ${name}`);
        for (const option of child.options) if (!docs.includes(option.long ?? option.flags)) missing.push(`${name} ${option.flags}`);
        visit(child, `${name} `);
      }
    };
    visit(program, '');
    expect(missing).toEqual([]);
  });
});
