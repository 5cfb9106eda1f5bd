/**
 * The CPU and memory strings of a spec's conditions, parsed (executors.md
 * §1.4–1.5): `"<int>m"` millicores, and memory in any unit the server
 * accepts. The one grammar: the spec builder validates with it, the executor
 * runtime turns specs into `JobResources` with it, and the backends convert
 * those with `slurm-resources.ts` and `kubernetes-resources.ts`.
 */

/** Parses `"<int>m"` millicores (`"2500m"` → 2500). Returns undefined when malformed. */
export function parseCpuMillicores(cpu: string): number | undefined {
  const match = /^(\d+)m$/.exec(cpu);
  if (!match) return undefined;
  const value = Number(match[1]);
  return Number.isSafeInteger(value) ? value : undefined;
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  Ki: 1024,
  KiB: 1024,
  Mi: 1024 ** 2,
  MiB: 1024 ** 2,
  Gi: 1024 ** 3,
  GiB: 1024 ** 3,
  Ti: 1024 ** 4,
  TiB: 1024 ** 4,
  K: 1000,
  KB: 1000,
  Kb: 1000,
  M: 1000 ** 2,
  MB: 1000 ** 2,
  Mb: 1000 ** 2,
  G: 1000 ** 3,
  GB: 1000 ** 3,
  Gb: 1000 ** 3,
  TB: 1000 ** 4,
  Tb: 1000 ** 4,
};

/** Parses a memory string (`"1000Mi"`, `"2Gi"`, …) to bytes. Returns undefined when malformed. */
export function parseMemoryBytes(mem: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(mem);
  if (!match) return undefined;
  const unit = MEMORY_UNITS[match[2]!];
  if (unit === undefined || match[2] === '') return undefined;
  return Math.round(Number(match[1]) * unit);
}
