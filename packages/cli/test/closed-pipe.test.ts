import { spawn } from 'node:child_process';
import { createColoniesClient } from '@pollinator/colonies-client';
import { startDevServer } from '@pollinator/dev-server';
import { describe, expect, it } from 'vitest';
import { cliCommand, cliShellCommand, createSandbox, definedOnly } from './cli-harness';

// `pollinator --help | head -1` crashed with an unhandled EPIPE about half the
// time: the help was written just before the command returned, and the closed
// pipe's error arrived after main() had removed its listener. A closed pipe
// must end the command quietly, however late the failed write is noticed.

const TRIES = 20;

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` through bash with pipefail, so the exit status is pollinator's when it fails. */
function pipeline(command: string, env: NodeJS.ProcessEnv): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -o pipefail; ${command}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs pollinator with one of its output pipes closed by the reader before anything is written. */
function withClosedPipe(args: string[], closed: 'stdout' | 'stderr', env: NodeJS.ProcessEnv): Promise<Ended> {
  const { command, args: prefix } = cliCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child[closed].destroy();
    const open = closed === 'stdout' ? child.stderr : child.stdout;
    open.setEncoding('utf8').on('data', (chunk: string) => {
      if (closed === 'stdout') stderr += chunk;
      else stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs `count` attempts, four at a time. */
async function repeat<T>(count: number, attempt: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += 4) {
    results.push(...(await Promise.all(Array.from({ length: Math.min(4, count - start) }, attempt))));
  }
  return results;
}

describe('a closed pipe ends the command quietly', () => {
  it(`\`pollinator --help | head -1\` exits 0 without an error, ${TRIES} times out of ${TRIES}`, async () => {
    const sandbox = createSandbox();
    try {
      const env = definedOnly(sandbox.env);
      const results = await repeat(TRIES, () => pipeline(`${cliShellCommand()} --help | head -1`, env));
      for (const result of results) {
        expect(result.stderr, result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(result.stdout.split('\n').filter((line) => line !== '')).toHaveLength(1);
      }
    } finally {
      sandbox.cleanup();
    }
  }, 180_000);

  it(`stdout closed before anything is written: exit 0 and nothing on stderr, ${TRIES} times`, async () => {
    const sandbox = createSandbox();
    try {
      const env = definedOnly(sandbox.env);
      const results = await repeat(TRIES, () => withClosedPipe(['--help'], 'stdout', env));
      for (const result of results) {
        expect(result.stderr, result.stderr).toBe('');
        expect(result.code).toBe(0);
      }
    } finally {
      sandbox.cleanup();
    }
  }, 180_000);

  it('stderr closed before an error is written: the error\'s own exit code, no crash', async () => {
    const sandbox = createSandbox();
    try {
      const env = definedOnly(sandbox.env);
      const results = await repeat(8, () => withClosedPipe(['no-such-command'], 'stderr', env));
      for (const result of results) {
        expect(result.stdout).toBe('');
        expect(result.signal).toBeNull();
        expect(result.code).toBe(64);
      }
    } finally {
      sandbox.cleanup();
    }
  }, 180_000);

  it(`\`pollinator logs <id> | head -1\` exits 0 without an error, ${TRIES} times out of ${TRIES}`, async () => {
    const server = await startDevServer({});
    const sandbox = createSandbox();
    try {
      const colonyName = server.identities.colony.name;
      const user = createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName });
      const executor = createColoniesClient({ url: server.url, privateKey: server.identities.executor.privateKey, colonyName });
      const submitted = await user.submit({ funcname: 'execute', conditions: { executortype: server.identities.executor.type }, maxexectime: -1, maxwaittime: -1 });
      const assigned = await executor.assign({ timeout: 5 });
      expect(assigned?.processid).toBe(submitted.processid);
      for (let line = 1; line <= 200; line += 1) await executor.addLog(submitted.processid, `log line ${line} ${'x'.repeat(200)}\n`);
      const env = definedOnly({ ...sandbox.env, ...server.env('user'), COLONIES_TLS: 'false', COLONIES_SERVER_HTTP_PORT: undefined });
      const results = await repeat(TRIES, () => pipeline(`${cliShellCommand()} logs ${submitted.processid} | head -1`, env));
      for (const result of results) {
        // stderr keeps its note that the process is still running; nothing about the pipe.
        expect(result.stderr, result.stderr).not.toMatch(/EPIPE|Error|Unhandled|node:/);
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/^log line 1 /);
      }
    } finally {
      sandbox.cleanup();
      await server.close();
    }
  }, 240_000);
});
