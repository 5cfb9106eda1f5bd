// Durability: the dev-server runs in a child process that is killed with
// SIGKILL in the middle of a stream of writes; restarted on the same data
// directory it must still have every write that was acknowledged (processes,
// assignments, logs, closes, files), and carry on from there.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createColoniesClient, type ColoniesClient } from '@pollinator/colonies-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { DevServerIdentities } from './index';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

interface Child {
  process: ChildProcess;
  url: string;
}

async function startChild(dataDir: string): Promise<Child> {
  const child = spawn(
    process.execPath,
    ['--conditions=@pollinator/source', '--import', 'tsx', MAIN, '--port', '0', '--data-dir', dataDir, '--log', 'silent'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`dev-server exited with ${code} before listening`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
  return { process: child, url };
}

function killHard(child: Child): Promise<void> {
  return new Promise((resolve) => {
    child.process.once('exit', () => resolve());
    child.process.kill('SIGKILL');
  });
}

describe('kill -9 and restart', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('loses no acknowledged write', { timeout: 120_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pollinator-dev-server-kill-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    let child = await startChild(dataDir);
    cleanups.push(async () => {
      if (child.process.exitCode === null && child.process.signalCode === null) await killHard(child);
    });
    const identities = JSON.parse(await readFile(join(dataDir, 'identities.json'), 'utf8')) as DevServerIdentities;
    const clients = (url: string): { user: ColoniesClient; executor: ColoniesClient } => {
      const user = createColoniesClient({
        url,
        privateKey: identities.user.privateKey,
        colonyName: identities.colony.name,
        retry: false,
      });
      return { user, executor: user.as(identities.executor.privateKey) };
    };
    let { user, executor } = clients(child.url);

    // Acknowledged writes, recorded only after the server answered.
    const submitted = new Set<string>();
    const running = new Set<string>();
    const closed = new Set<string>();
    const logs = new Map<string, string[]>();
    const files = new Map<string, string>();
    let killed = false;
    const swallow = (error: unknown): void => {
      if (!killed) throw error;
    };

    const writers = [
      // A user submitting processes and registering files.
      (async () => {
        for (let i = 0; !killed; i++) {
          try {
            const process = await user.submit({
              funcname: 'execute',
              conditions: { executortype: identities.executor.type },
              maxexectime: -1,
              env: { ROUND: String(i) },
            });
            submitted.add(process.processid);
            const file = await user.addFile({
              label: '/kill-test/src',
              name: `file-${i}.txt`,
              size: i,
              checksum: i.toString(16).padStart(64, '0'),
              ref: { s3object: { object: i.toString(16).padStart(64, 'a') } },
            });
            files.set(file.fileid, `file-${i}.txt`);
          } catch (error) {
            swallow(error);
          }
        }
      })(),
      // An executor taking processes, logging and closing every other one.
      (async () => {
        for (let i = 0; !killed; i++) {
          try {
            const process = await executor.assign({ timeout: 1 });
            if (!process) continue;
            running.add(process.processid);
            for (let line = 0; line < 3; line++) {
              await executor.addLog(process.processid, `line ${line} of ${process.processid}\n`);
              const lines = logs.get(process.processid) ?? [];
              lines.push(`line ${line} of ${process.processid}\n`);
              logs.set(process.processid, lines);
            }
            if (i % 2 === 0) {
              await executor.closeSuccessful(process.processid, [i]);
              closed.add(process.processid);
            }
          } catch (error) {
            swallow(error);
          }
        }
      })(),
    ];

    // Let the writes flow, then kill the server mid-stream.
    const writing = performance.now();
    while (closed.size < 25 && performance.now() - writing < 60_000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed.size, 'writes before the kill').toBeGreaterThanOrEqual(25);
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 50)));
    killed = true;
    await killHard(child);
    await Promise.all(writers);
    expect(submitted.size).toBeGreaterThan(25);

    child = await startChild(dataDir);
    ({ user, executor } = clients(child.url));

    for (const id of submitted) {
      const process = await user.getProcess(id);
      if (closed.has(id)) expect(process.state, id).toBe(2);
      else if (running.has(id)) expect([1, 2]).toContain(process.state);
      expect(process.spec.env.ROUND).toBeDefined();
    }
    for (const [id, lines] of logs) {
      const stored = await user.getLogs({ processId: id, count: 100 });
      expect(stored.map((entry) => entry.message).slice(0, lines.length)).toEqual(lines);
    }
    for (const [fileId, name] of files) {
      const file = await user.getFile({ fileId });
      expect(file.name).toBe(name);
    }

    // The restarted server carries on: waiting processes are still assignable,
    // sequence numbers and log timestamps keep increasing.
    const waiting = [...submitted].filter((id) => !running.has(id));
    if (waiting.length > 0) {
      const next = await executor.assign({ timeout: 2 });
      expect(next && waiting.includes(next.processid)).toBe(true);
    }
    const fresh = await user.submit({ funcname: 'execute', conditions: { executortype: identities.executor.type } });
    expect((await user.getProcess(fresh.processid)).state).toBe(0);
    const lastFile = Math.max(...(await Promise.all([...files.keys()].map((fileId) => user.getFile({ fileId })))).map((f) => f.sequencenr));
    const newFile = await user.addFile({
      label: '/kill-test/src',
      name: 'after-restart.txt',
      size: 1,
      checksum: 'f'.repeat(64),
      ref: { s3object: { object: 'e'.repeat(64) } },
    });
    expect(newFile.sequencenr).toBeGreaterThan(lastFile);
    await killHard(child);
  });
});
