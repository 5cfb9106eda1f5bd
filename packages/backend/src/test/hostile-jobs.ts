/**
 * The "hostile job" conformance suite (issue #13): an executor runs code from
 * any member of a colony, so every backend is held to what a job must never
 * achieve through the executor. Each backend runs it from its own test file:
 *
 * ```ts
 * import { testHostileJobs } from '@pollinator/backend/test';
 * testHostileJobs('local (bubblewrap)', () => createLocalBackend({ isolation: 'bwrap' }), { isolatesFilesystem: true });
 * ```
 *
 * It runs the whole executor flow: an in-process dev-server, its local blob
 * directory as the CFS store, and `runExecutor` (self-registered, so its
 * state file holds its private key) with the given backend. Jobs are shell
 * command lines (`kwargs.cmd`) that use only POSIX `sh` and coreutils or
 * busybox. `isolatesFilesystem` says whether the backend shows a job only its
 * own mounts (bubblewrap, containers): then the job must not even read the
 * executor's files or write outside its staging; without it (a plain process)
 * the suite checks that the executor itself never follows, uploads or writes
 * through what the job made.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '@pollinator/cfs-sync';
import type { ColoniesClient } from '@pollinator/colonies-client';
import type { ExecutorEvent, RunningExecutor } from '@pollinator/core';
import type { DevServer } from '@pollinator/dev-server';
import type { Backend } from '../backend';
import { startFlowColony, type FlowColony } from './flow-colony';
import {
  filesContaining,
  hostileSpec,
  processesWithMarker,
  processLog,
  PROCESS_STATE,
  snapshotTree,
  waitForClosed,
  type HostileSpecInput,
} from './hostile-jobs-helpers';

export interface HostileJobOptions {
  /** Why the suite cannot run here (a missing service), or `false`/omitted to run it. */
  skip?: string | false;
  /**
   * The job sees only its own mounts (a mount namespace or a container): it
   * cannot read the executor's state or write to host paths outside them.
   * False for a plain process, Slurm runtime `none` without a wrapper, the
   * fake Kubernetes kubelet: the executor's own behaviour is still checked.
   */
  isolatesFilesystem: boolean;
  /**
   * The job cannot read `JobRequest.protectedPaths` (the executor's state,
   * the staging root, the dev-server's identities) even though it sees other
   * host paths (Slurm runtime `none` with bubblewrap). Defaults to `isolatesFilesystem`.
   */
  hidesProtectedPaths?: boolean;
  /**
   * Where the suite puts the dev-server, the executor's directories, the
   * staging root and the host canaries; must be visible where jobs run (a
   * shared filesystem for Slurm) and not one a container runtime binds by
   * default (the Singularity stand-in binds /tmp and $HOME). Default: the OS temp dir.
   */
  baseDir?: string;
  /** `fs.mount` of the jobs (default `/cfs`). */
  mountPath?: string;
  /** Image of the jobs (default `busybox`). */
  image?: string;
  /** Seconds a job may take from submit to close (default 60). */
  jobTimeoutSeconds?: number;
  /** Timeout of each case in ms (default derived from `jobTimeoutSeconds`). */
  testTimeoutMs?: number;
}

/** Registers the hostile-job cases for one backend in the current vitest file. */
export function testHostileJobs(name: string, createBackend: () => Backend | Promise<Backend>, options: HostileJobOptions): void {
  const mountPath = options.mountPath ?? '/cfs';
  const image = options.image ?? 'busybox';
  const jobTimeoutMs = (options.jobTimeoutSeconds ?? 60) * 1000;
  const caseTimeoutMs = options.testTimeoutMs ?? 3 * jobTimeoutMs + 20_000;
  const isolated = options.isolatesFilesystem;
  const hidesProtected = options.hidesProtectedPaths ?? isolated;
  const title = options.skip ? `hostile jobs: ${name} (skipped: ${options.skip})` : `hostile jobs: ${name}`;

  describe.skipIf(Boolean(options.skip))(title, () => {
    let root: string;
    let flow: FlowColony;
    let server: DevServer;
    let store: BlobStore;
    let user: ColoniesClient;
    let executor: RunningExecutor;
    let fsDir: string;
    let stateDir: string;
    let executorType: string;
    const events: ExecutorEvent[] = [];

    beforeAll(async () => {
      const base = options.baseDir ?? tmpdir();
      mkdirSync(base, { recursive: true });
      root = mkdtempSync(join(base, 'pollinator-hostile-'));
      flow = await startFlowColony(root);
      ({ server, store, user } = flow);
      const { colony } = server.identities;
      executorType = server.identities.executor.type;
      fsDir = join(root, 'executor', 'fs');
      stateDir = join(root, 'executor', 'state');
      executor = flow.packages.core.runExecutor({
        client: flow.executorClient,
        // Self-registered: the state file then holds the executor's own private key (case b).
        register: { colonyPrivateKey: colony.privateKey, name: `hostile-${randomBytes(4).toString('hex')}`, type: executorType },
        backend: await createBackend(),
        cfs: { store },
        fsDir,
        stateDir,
        protectedPaths: [server.dataDir],
        assignTimeoutSeconds: 1,
        watchIntervalMs: 250,
        onEvent: (event) => events.push(event),
      });
      await executor.ready;
    });

    afterAll(async () => {
      await executor?.stop('cancel');
      await flow?.close();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    const project = () => `hostile-${randomBytes(6).toString('hex')}`;
    async function run(input: Omit<HostileSpecInput, 'executorType' | 'mountPath' | 'image'>) {
      const submitted = await user.submit(hostileSpec({ ...input, executorType, mountPath, image }));
      const closed = await waitForClosed(user, submitted.processid, jobTimeoutMs);
      return { process: closed, log: await processLog(user, submitted.processid) };
    }
    function canaryFile(label: string): { path: string; secret: string } {
      const secret = `canary-${label}-${randomBytes(16).toString('hex')}`;
      const dir = join(root, 'host', randomBytes(4).toString('hex'));
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${label}.txt`);
      writeFileSync(path, `${secret}\n`);
      return { path, secret };
    }
    async function resultNames(projectName: string): Promise<string[]> {
      return (await user.getFiles(`/pollinator/${projectName}/result`)).map((file) => file.name);
    }

    // (a) A job links a host file outside its staging into $result: the
    // executor never follows the link, so no byte of the file reaches CFS.
    it(
      'does not upload a host file a job symlinked into its result',
      async () => {
        const canary = canaryFile('host');
        const name = project();
        const script = `ln -s '${canary.path}' "$PROJECT_DIR/result/leak.txt"; ln -s '${join(canary.path, '..')}' "$PROJECT_DIR/result/leak-dir"; echo own > "$PROJECT_DIR/result/own.txt"; echo linked`;
        const { process, log } = await run({ project: name, script });
        expect(log).toContain('linked');
        // The links are reported in the process log, never followed.
        expect(log).toMatch(/symlink[^\n]*leak\.txt/);
        expect(filesContaining(server.blobDir, canary.secret)).toEqual([]);
        const names = await resultNames(name);
        expect(names).not.toContain('leak.txt');
        expect(names.some((file) => file.startsWith('leak-dir'))).toBe(false);
        // The job's own file still comes back: refusing links is not refusing results.
        if (process.state === PROCESS_STATE.success) expect(names, log).toContain("own.txt");
      },
      caseTimeoutMs,
    );

    // (b) A job links the executor's state file (its private key) and the
    // dev-server's identities into $result: neither is uploaded; an isolated
    // job cannot even read them.
    it(
      'does not hand a job the executor state or the identities file',
      async () => {
        const stateFile = join(stateDir, 'executor-state.json');
        const identities = join(server.dataDir, 'identities.json');
        const keys = [
          (JSON.parse(readFileSync(stateFile, 'utf8')) as { executor?: { privateKey?: string } }).executor?.privateKey,
          server.identities.colony.privateKey,
          server.identities.serverOwner.privateKey,
        ].filter((key): key is string => typeof key === 'string' && key.length > 0);
        expect(keys.length).toBe(3);
        const name = project();
        const script =
          `ln -s '${stateFile}' "$PROJECT_DIR/result/state.json"; ln -s '${identities}' "$PROJECT_DIR/result/ids.json"; ` +
          `if cat '${stateFile}' >/dev/null 2>&1; then echo STATE-READABLE; else echo STATE-HIDDEN; fi; ` +
          `if cat '${identities}' >/dev/null 2>&1; then echo IDENTITIES-READABLE; else echo IDENTITIES-HIDDEN; fi`;
        const { log } = await run({ project: name, script });
        for (const key of keys) expect(filesContaining(server.blobDir, key), 'a private key reached the blob store').toEqual([]);
        const names = await resultNames(name);
        expect(names).not.toContain('state.json');
        expect(names).not.toContain('ids.json');
        if (hidesProtected) {
          expect(log).toContain('STATE-HIDDEN');
          expect(log).toContain('IDENTITIES-HIDDEN');
        }
      },
      caseTimeoutMs,
    );

    // (c) A job replaces result/ itself with a link to a host directory: that
    // directory is neither uploaded nor written to (no `.cfs` marker in it).
    it(
      'neither uploads nor writes into a host directory a job put in place of result/',
      async () => {
        const canary = canaryFile('result-root');
        const hostDir = join(canary.path, '..');
        const before = snapshotTree(hostDir);
        const name = project();
        const swap = (dir: string) => `rm -rf ${dir} 2>/dev/null; ln -s '${hostDir}' ${dir} 2>/dev/null;`;
        // Where the job may reach the staging root, it also tries its host path.
        const hostSwap = hidesProtected ? '' : swap(`'${join(fsDir, 'pollinator', name, 'result')}'`);
        const script = `${swap('"$PROJECT_DIR/result"')} ${hostSwap} echo swapped`;
        const { process } = await run({ project: name, script });
        expect(filesContaining(server.blobDir, canary.secret)).toEqual([]);
        expect(existsSync(join(hostDir, '.cfs'))).toBe(false);
        expect(snapshotTree(hostDir)).toEqual(before);
        expect(await resultNames(name)).toEqual([]);
        // When the swap worked (always when the job reaches the staging root), the process fails naming the refused path.
        if (!hidesProtected) expect(process.state).toBe(PROCESS_STATE.failed);
        if (process.state === PROCESS_STATE.failed) expect(process.errors.join(' ')).toContain(`${join(fsDir, 'pollinator', name, 'result')}: it is a symlink`);
      },
      caseTimeoutMs,
    );

    // (d) Project A's job plants a symlink where project B's data dir is
    // staged (through the mount path and through the host path); when B
    // runs, the executor writes nothing through it.
    it(
      "never writes another project's files through a symlink a job planted",
      async () => {
        const victim = project();
        const target = join(root, 'host', `planted-${randomBytes(4).toString('hex')}`);
        mkdirSync(target, { recursive: true });
        writeFileSync(join(target, 'untouched.txt'), 'host\n');
        const before = snapshotTree(target);
        const hostDataDir = join(fsDir, 'pollinator', victim, 'data');
        const plant = (dir: string) => `mkdir -p '${join(dir, '..')}' 2>/dev/null; ln -s '${target}' '${dir}' 2>/dev/null;`;
        // Through the mount path only where that is the job's own view (elsewhere it is a host path).
        const throughMount = isolated || hidesProtected ? plant(`${mountPath}/pollinator/${victim}/data`) : '';
        await run({ project: project(), script: `${throughMount} ${plant(hostDataDir)} echo planted` });
        // B's data label has a file, so staging B writes into its data dir.
        const source = join(root, 'victim-data');
        mkdirSync(source, { recursive: true });
        writeFileSync(join(source, 'input.csv'), 'a,b\n');
        const { syncDirectory, cfsMetadataFromClient } = await import('@pollinator/cfs-sync');
        await syncDirectory({ dir: source, label: `/pollinator/${victim}/data`, metadata: cfsMetadataFromClient(user), store, keepLocal: true, stateDir: false });
        const { process } = await run({ project: victim, script: `cat "$PROJECT_DIR/data/input.csv"` });
        expect(snapshotTree(target)).toEqual(before);
        expect(existsSync(join(target, 'input.csv'))).toBe(false);
        if (!hidesProtected) expect(process.state).toBe(PROCESS_STATE.failed);
        if (process.state === PROCESS_STATE.failed) expect(process.errors.join(' ')).toContain(`${hostDataDir}: it is a symlink`);
      },
      caseTimeoutMs,
    );

    // (e) An isolated job cannot write to host paths outside its mounts:
    // a free host directory, another project's staging, the executor's state.
    it.skipIf(!isolated)(
      'keeps an isolated job from writing outside its staging',
      async () => {
        const outside = join(root, 'host', `outside-${randomBytes(4).toString('hex')}`);
        mkdirSync(outside, { recursive: true });
        const other = join(fsDir, 'pollinator', 'someone-else', 'data');
        mkdirSync(other, { recursive: true });
        const targets = [join(outside, 'written.txt'), join(other, 'written.txt'), join(stateDir, 'written.txt')];
        const script = targets.map((path) => `echo x > '${path}' 2>/dev/null && echo WROTE '${path}';`).join(' ') + ' echo tried';
        const { log } = await run({ project: project(), script });
        expect(log).toContain('tried');
        expect(log).not.toContain('WROTE');
        for (const path of targets) expect(existsSync(path), path).toBe(false);
      },
      caseTimeoutMs,
    );

    // (f) A job starts children that leave its session (setsid) or its
    // parent (double fork) and ignore SIGTERM; after a cancel none remains.
    it(
      'leaves no setsid or double-forked child of a cancelled job running',
      async () => {
        const marker = `hostile-marker-${randomBytes(8).toString('hex')}`;
        const loop = `trap '' TERM HUP INT; while :; do sleep 1; done; : ${marker}`;
        const script =
          `if command -v setsid >/dev/null 2>&1; then setsid sh -c "${loop}" >/dev/null 2>&1 & fi; ` +
          `( sh -c "${loop}" >/dev/null 2>&1 & ) ; ` +
          `( ( sh -c "${loop}" >/dev/null 2>&1 & ) & ) ; echo children-started; sleep 300`;
        const submitted = await user.submit(hostileSpec({ project: project(), script, executorType, mountPath, image }));
        const processId = submitted.processid;
        const started = Date.now();
        while (!(await processLog(user, processId)).includes('children-started')) {
          if (Date.now() - started > jobTimeoutMs) throw new Error('the job never started its children');
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        await expect.poll(() => processesWithMarker(marker).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
        await user.cancelProcess(processId);
        await expect
          .poll(() => events.some((event) => event.type === 'job.finished' && event.processId === processId), { timeout: jobTimeoutMs })
          .toBe(true);
        await expect.poll(() => processesWithMarker(marker), { timeout: 15_000, interval: 250 }).toEqual([]);
      },
      caseTimeoutMs,
    );

    // (h) A forward (issue #16): the executor relays only to the ports the
    // spec lists, and only for the process's submitter. A client that skips
    // openForward's own check and asks for port 22 is refused by the
    // executor, with the reason; another member of the colony cannot use the
    // process's channels at all, and nothing of theirs is relayed.
    it(
      'refuses a forward to a port the spec does not allow and to anyone but the submitter',
      async () => {
        const { portForward, specBuilder, crypto, coloniesClient } = flow.packages;
        const allowedPort = 20_000 + (randomBytes(2).readUInt16BE(0) % 20_000);
        const submitted = await user.submit(
          hostileSpec({
            project: project(),
            script: 'echo forward-job-running; sleep 120',
            executorType,
            mountPath,
            image,
            env: { [specBuilder.FORWARD_PORTS_ENV]: String(allowedPort) },
            channels: specBuilder.forwardChannelNames(),
          }),
        );
        const processId = submitted.processid;
        const forwardLines = () => events.flatMap((event) => (event.type === 'forward' && event.processId === processId ? [event.message] : []));
        try {
          // The relay starts with the job's follow, which the job's first output shows has begun.
          await expect.poll(() => processLog(user, processId), { timeout: jobTimeoutMs, interval: 250 }).toContain('forward-job-running');
          await expect.poll(forwardLines, { timeout: jobTimeoutMs }).toContain(`relaying forwards to port ${allowedPort} of the job`);

          // The submitter, straight onto the channels, for a port the spec does not list.
          const refusals: string[] = [];
          const link = portForward.createChannelLink({ client: user, processId, role: 'submitter' });
          const listener = await portForward.createForwardListener({
            link,
            remotePort: 22,
            localPort: 0,
            onEvent: (event) => {
              if (event.type === 'refused') refusals.push(event.reason);
            },
          });
          try {
            expect(await bytesUntilClosed(listener.port)).toBe(0);
            await expect.poll(() => refusals, { timeout: jobTimeoutMs }).toEqual([expect.stringContaining(`port 22 is not forwarded for this process: it allows ${allowedPort}`)]);
          } finally {
            await listener.close();
          }
          expect(forwardLines().some((line) => /^connection \d+ to port 22 refused: /.test(line))).toBe(true);

          // Another member of the colony, for the allowed port: the server refuses every channel call.
          const otherKey = crypto.generatePrivateKey();
          const owner = coloniesClient.createColoniesClient({ url: server.url, privateKey: server.identities.colony.privateKey, colonyName: server.identities.colony.name });
          await owner.addUser({ userid: crypto.idOf(otherKey), name: `other-${randomBytes(4).toString('hex')}` });
          const other = coloniesClient.createColoniesClient({ url: server.url, privateKey: otherKey, colonyName: server.identities.colony.name });
          const otherLink = portForward.createChannelLink({ client: other, processId, role: 'submitter' });
          const intruder = await portForward.createForwardListener({ link: otherLink, remotePort: allowedPort, localPort: 0 });
          try {
            await bytesUntilClosed(intruder.port);
            const end = await intruder.ended;
            expect(end).toMatchObject({ kind: 'refused', refusal: 'not-authorized' });
          } finally {
            await intruder.close();
          }
          expect(forwardLines().some((line) => line.includes('relayed to'))).toBe(false);
        } finally {
          await user.cancelProcess(processId).catch(() => undefined);
          await waitForClosed(user, processId, jobTimeoutMs).catch(() => undefined);
        }
      },
      caseTimeoutMs,
    );

    // (g) A spec that stages "/" with keepfiles false (any colony member can
    // submit one) is closed failed naming the field; no project's staging is
    // uploaded or deleted.
    it(
      'refuses a hostile staging spec naming the field and leaves other projects alone',
      async () => {
        const victim = join(fsDir, 'pollinator', 'victim-project', 'data');
        mkdirSync(victim, { recursive: true });
        writeFileSync(join(victim, 'staged.csv'), 'victim,data\n');
        const evil = project();
        const dirs = [{ label: `/pollinator/${evil}/result`, dir: '/', keepfiles: false, onconflicts: { onstart: { keeplocal: false }, onclose: { keeplocal: true } } }];
        const { process } = await run({ project: evil, script: 'echo should-not-run', dirs });
        expect(process.state).toBe(PROCESS_STATE.failed);
        expect(process.errors.join(' ')).toContain('fs.dirs[0].dir');
        expect(readFileSync(join(victim, 'staged.csv'), 'utf8')).toBe('victim,data\n');
        expect(existsSync(join(stateDir, 'executor-state.json'))).toBe(true);
        expect(await user.getFiles(`/pollinator/${evil}/result`)).toEqual([]);
      },
      caseTimeoutMs,
    );
  });
}

/** Connects to 127.0.0.1:`port` and counts the bytes the peer sent before it closed the connection. */
function bytesUntilClosed(port: number): Promise<number> {
  return new Promise((resolve) => {
    let count = 0;
    const socket = connect(port, '127.0.0.1');
    socket.on('data', (chunk: Buffer) => (count += chunk.length));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(count));
  });
}
