/**
 * `JobResources` in `sbatch`'s units (executors.md §1.4–1.6). Each returns
 * `undefined` (or 0) for "the spec gave none": then no directive is written and
 * the site's defaults apply.
 */

const MEBIBYTE = 1024 * 1024;

/**
 * `--cpus-per-task`: whole cores, rounded up (Slurm has no fractional CPUs):
 * 10m…1000m → 1, 1001m → 2, 2400m → 3. 0 (no cpu in the spec) → 0: no option.
 */
export function slurmCpusPerTask(cpuMillicores: number): number {
  if (!Number.isFinite(cpuMillicores) || cpuMillicores <= 0) return 0;
  return Math.max(1, Math.ceil(cpuMillicores / 1000));
}

/**
 * `--mem` per node, in Slurm's unit (`M` = MiB), rounded up: 1000Mi → `1000M`,
 * 10Gi → `10240M`, 1.5 GB → `1431M`. 0 (no mem in the spec) → undefined: no
 * `--mem` line, so the site's DefMemPerCPU/DefMemPerNode applies. (The original
 * HPC executor converted to decimal megabytes, 1000Mi → `1049M`, and rendered
 * `--mem=0M` for 0, which Slurm reads as "all the memory of the node".)
 */
export function slurmMemoryPerNode(memoryBytes: number): string | undefined {
  if (!Number.isFinite(memoryBytes) || memoryBytes <= 0) return undefined;
  return `${Math.ceil(memoryBytes / MEBIBYTE)}M`;
}

/**
 * `--time` as `HH:MM:SS` with hours that may exceed 24 (10 → `00:00:10`,
 * 86400 → `24:00:00`, 360000 → `100:00:00`); fractions of a second round up.
 * 0 → undefined (no limit from the spec: the partition default).
 */
export function slurmTimeLimit(walltimeSeconds: number): string | undefined {
  if (!Number.isFinite(walltimeSeconds) || walltimeSeconds <= 0) return undefined;
  const total = Math.ceil(walltimeSeconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}`;
}
