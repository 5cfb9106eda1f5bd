/**
 * What the memory cgroup of a local job says (issue #17): whether the
 * kernel's OOM killer struck in it, its limit and its peak. cgroup v2
 * (`memory.events` oom_kill, `memory.max`, `memory.peak`) and v1
 * (`memory.oom_control` oom_kill, `memory.limit_in_bytes`,
 * `memory.max_usage_in_bytes`). The supervisor reads it when the job starts
 * and again when it was killed: a higher oom_kill count means the OOM killer,
 * not a person, sent the SIGKILL. Only Node built-ins (the supervisor imports it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryCgroupReading {
  /** The cgroup's directory under /sys/fs/cgroup. */
  directory: string;
  /** How many processes the OOM killer has killed in it so far. */
  oomKills: number;
  /** Its memory limit in bytes; undefined when unlimited. */
  limitBytes?: number;
  /** The most memory it has used, in bytes, when the kernel says. */
  peakBytes?: number;
}

/** Above this a v1 limit means "no limit" (the kernel shows 2^63 rounded down to a page). */
const UNLIMITED_V1 = 2 ** 62;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function number(text: string | undefined): number | undefined {
  const value = Number((text ?? '').trim());
  return text === undefined || text.trim() === '' || !Number.isFinite(value) ? undefined : value;
}

/**
 * The directory of the memory cgroup `pid` is in (`self` = this process), or
 * undefined without one. Inside a cgroup namespace the path in
 * /proc/<pid>/cgroup may be relative to the mount's root: then the mount's
 * root is the cgroup.
 */
export function memoryCgroupDirectory(pid: number | 'self', root = '/sys/fs/cgroup'): string | undefined {
  const lines = (read(`/proc/${pid}/cgroup`) ?? '').split('\n');
  const v1 = lines.map((line) => /^\d+:([^:]*):(.*)$/.exec(line)).find((match) => match && match[1]!.split(',').includes('memory'));
  const candidates = v1 ? [join(root, 'memory', v1[2]!), join(root, 'memory')] : [];
  const v2 = lines.map((line) => /^0::(.*)$/.exec(line)).find(Boolean);
  if (v2) candidates.push(join(root, v2[1]!), join(root, 'unified', v2[1]!), root);
  return candidates.find((directory) => existsSync(join(directory, 'memory.events')) || existsSync(join(directory, 'memory.oom_control')));
}

/** The cgroup's OOM kill count, limit and peak; undefined when it cannot be read. */
export function readMemoryCgroup(directory: string): MemoryCgroupReading | undefined {
  const events = read(join(directory, 'memory.events'));
  if (events !== undefined) {
    const limit = read(join(directory, 'memory.max'))?.trim();
    const peak = number(read(join(directory, 'memory.peak')));
    return {
      directory,
      oomKills: Number(/^oom_kill (\d+)/m.exec(events)?.[1] ?? 0),
      ...(limit && limit !== 'max' && number(limit) !== undefined ? { limitBytes: number(limit)! } : {}),
      ...(peak === undefined ? {} : { peakBytes: peak }),
    };
  }
  const control = read(join(directory, 'memory.oom_control'));
  if (control === undefined) return undefined;
  const limit = number(read(join(directory, 'memory.limit_in_bytes')));
  const peak = number(read(join(directory, 'memory.max_usage_in_bytes')));
  return {
    directory,
    oomKills: Number(/^oom_kill (\d+)/m.exec(control)?.[1] ?? 0),
    ...(limit !== undefined && limit < UNLIMITED_V1 ? { limitBytes: limit } : {}),
    ...(peak === undefined ? {} : { peakBytes: peak }),
  };
}

/** Whether the OOM killer struck between two readings of the same cgroup. */
export function oomKilledBetween(before: MemoryCgroupReading | undefined, after: MemoryCgroupReading | undefined): boolean {
  return before !== undefined && after !== undefined && before.directory === after.directory && after.oomKills > before.oomKills;
}
