/**
 * Admission: how much of the executor's capacity a job takes, and what is
 * left to offer in the next assign (`availablecpu` / `availablemem`), so the
 * server hands out only processes that fit.
 */
import { jobResources, type ExecutorSpec } from './validate-spec';

/** What one job holds while it runs. */
export interface JobDemand {
  cpuMillicores: number;
  memoryBytes: number;
}

/** What the executor may hand out in total (`RunExecutorOptions.resources`). */
export interface CapacityLimits {
  cpuMillicores?: number;
  memoryBytes?: number;
}

/** Whether another job may be taken, and the cpu/memory to offer (empty: no limit). */
export type Admission = { admit: true; availableCpu: string; availableMem: string } | { admit: false };

/** cpu for every process on every node, memory for every node (a spec without them takes none). */
export function jobDemand(spec: ExecutorSpec): JobDemand {
  const resources = jobResources(spec);
  const nodes = Math.max(1, spec.conditions.nodes);
  return {
    cpuMillicores: (resources.cpuMillicores || 0) * Math.max(1, spec.conditions.processespernode) * nodes,
    memoryBytes: (resources.memoryBytes || 0) * nodes,
  };
}

/** Admission of the next job given the jobs running now. */
export function admission(running: readonly JobDemand[], maxConcurrency: number, limits: CapacityLimits | undefined): Admission {
  if (running.length >= maxConcurrency) return { admit: false };
  let availableCpu = '';
  let availableMem = '';
  if (limits?.cpuMillicores) {
    const free = limits.cpuMillicores - running.reduce((sum, job) => sum + job.cpuMillicores, 0);
    if (free <= 0) return { admit: false };
    availableCpu = `${free}m`;
  }
  if (limits?.memoryBytes) {
    const free = Math.floor((limits.memoryBytes - running.reduce((sum, job) => sum + job.memoryBytes, 0)) / 1024 ** 2);
    if (free <= 0) return { admit: false };
    availableMem = `${free}Mi`;
  }
  return { admit: true, availableCpu, availableMem };
}
