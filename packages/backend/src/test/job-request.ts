import { randomBytes } from 'node:crypto';
import type { JobRequest, JobResources } from '../backend';

/** What a test changes of a job request; `resources` merges into the defaults. */
export type JobRequestOverrides = Partial<Omit<JobRequest, 'resources'>> & { resources?: Partial<JobResources> };

/**
 * A job request for backend tests: a fresh process id (also in the job's
 * `COLONIES_PROCESS_ID`), no image, no limits, no mounts. Each test names
 * only what it is about (`workDir` is required: a backend writes there).
 */
export function testJobRequest(command: string, workDir: string, overrides: JobRequestOverrides = {}): JobRequest {
  const processId = overrides.processId ?? randomBytes(32).toString('hex');
  const { resources, ...rest } = overrides;
  return {
    processId,
    image: '',
    rebuildImage: false,
    initCommand: '',
    command,
    env: { COLONIES_PROCESS_ID: processId },
    mounts: [],
    protectedPaths: [],
    placement: {},
    workDir,
    ...rest,
    resources: { nodes: 1, processesPerNode: 1, cpuMillicores: 0, memoryBytes: 0, gpu: { count: 0, name: '' }, walltimeSeconds: 0, ...resources },
  };
}
