/**
 * Pieces of the hostile-job suite (`hostile-jobs.ts`) that do not depend on
 * vitest: the FunctionSpec of a job, waiting for a process to end, and the
 * host-side checks (a byte scan of the blob store, a `/proc` scan for
 * processes carrying a marker).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ColoniesClient, FunctionSpecInput, Process } from '@pollinator/colonies-client';

/** ColonyOS process states. */
export const PROCESS_STATE = { waiting: 0, running: 1, success: 2, failed: 3, cancelled: 4 } as const;

export interface HostileSpecInput {
  project: string;
  /** The job: a shell command line (`kwargs.cmd`). */
  script: string;
  executorType: string;
  mountPath: string;
  image: string;
  /** Replaces the default `fs.dirs` (result keepfiles false, data keepfiles true). */
  dirs?: NonNullable<FunctionSpecInput['fs']>['dirs'];
  maxExecSeconds?: number;
  /** More of the job's environment (e.g. POLLINATOR_FORWARD_PORTS). */
  env?: Record<string, string>;
  /** Channels the spec declares (a forward's). */
  channels?: string[];
}

/** A Pollinator-shaped spec (executors.md §1.1) whose job is `script`. */
export function hostileSpec(input: HostileSpecInput): FunctionSpecInput {
  const base = `/pollinator/${input.project}`;
  const maxExec = input.maxExecSeconds ?? 300;
  return {
    funcname: 'execute',
    kwargs: { cmd: input.script, args: [], 'docker-image': input.image, 'init-cmd': '' },
    maxexectime: maxExec,
    maxretries: 1,
    maxwaittime: -1,
    conditions: { executortype: input.executorType, nodes: 1, processespernode: 1, cpu: '100m', mem: '100Mi', walltime: maxExec + 1 },
    env: { ...input.env, PROJECT_DIR: `${input.mountPath}${base}` },
    ...(input.channels === undefined ? {} : { channels: input.channels }),
    fs: {
      mount: input.mountPath,
      snapshots: [],
      dirs: input.dirs ?? [
        {
          label: `${base}/result`,
          dir: `${base}/result`,
          keepfiles: false,
          onconflicts: { onstart: { keeplocal: false }, onclose: { keeplocal: true } },
        },
        {
          label: `${base}/data`,
          dir: `${base}/data`,
          keepfiles: true,
          onconflicts: { onstart: { keeplocal: false }, onclose: { keeplocal: false } },
        },
      ],
    },
  };
}

/** Polls until the process is closed (success, failed) or cancelled. */
export async function waitForClosed(client: ColoniesClient, processId: string, timeoutMs: number): Promise<Process> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const process = await client.getProcess(processId);
    if (process.state >= PROCESS_STATE.success) return process;
    if (Date.now() > deadline) throw new Error(`process ${processId} not closed within ${timeoutMs} ms (state ${process.state})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every log message of the process, joined. */
export async function processLog(client: ColoniesClient, processId: string): Promise<string> {
  let text = '';
  let since: bigint | undefined;
  for (;;) {
    const logs = await client.getLogs({ processId, count: 500, ...(since === undefined ? {} : { since }) });
    for (const log of logs) text += log.message;
    if (logs.length < 500) return text;
    since = logs.at(-1)!.timestamp;
  }
}

/** Files (relative paths) under `dir` whose bytes contain `needle`; symlinks are not followed. */
export function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const bytes = Buffer.from(needle);
  const walk = (current: string) => {
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && statSync(path).size < 64 * 1024 * 1024 && readFileSync(path).includes(bytes)) found.push(path.slice(dir.length + 1));
    }
  };
  walk(dir);
  return found;
}

/** Pids of live processes whose command line contains `marker` (a `/proc` scan; zombies do not count). */
export function processesWithMarker(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const status = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z /s.test(status)) continue;
      if (readFileSync(`/proc/${name}/cmdline`).toString('utf8').includes(marker)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Directory listing (names and sizes, recursive, not following links) for before/after comparison. */
export function snapshotTree(dir: string): string[] {
  const lines: string[] = [];
  const walk = (current: string, prefix: string) => {
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        lines.push(`${prefix}${entry.name}/`);
        walk(path, `${prefix}${entry.name}/`);
      } else {
        lines.push(`${prefix}${entry.name} ${entry.isSymbolicLink() ? 'link' : statSync(path).size}`);
      }
    }
  };
  walk(dir, '');
  return lines;
}
