/**
 * The `docker run` / `podman run` command line for one job. Both runtimes
 * take the same flags for everything used here.
 */
import type { JobRequest } from '@pollinator/backend';

export type ContainerRuntime = 'docker' | 'podman';

/** Container name for a job: stable per process id and work dir, valid for both runtimes. */
export function containerName(job: Pick<JobRequest, 'processId'>, suffix: string): string {
  return `pollinator-${job.processId.slice(0, 16)}-${suffix}`;
}

/**
 * `run` arguments (without the runtime binary). Values of environment
 * variables are not on the command line: `-e NAME` makes the client read them
 * from its own environment, which the supervisor sets to the job's env, so
 * they never show up in `ps`.
 */
export function containerRunArguments(job: JobRequest, name: string, shellCommand: string): string[] {
  const args = ['run', '--name', name, '--label', `pollinator.process-id=${job.processId}`, '--init'];
  args.push('--rm');
  if (job.rebuildImage) args.push('--pull=always');
  for (const mount of job.mounts) args.push('--volume', `${mount.hostPath}:${mount.containerPath}`);
  for (const key of Object.keys(job.env).sort()) args.push('--env', key);
  const processes = Math.max(1, job.resources.processesPerNode);
  if (job.resources.cpuMillicores > 0) {
    args.push('--cpus', String((job.resources.cpuMillicores * processes) / 1000));
  }
  if (job.resources.memoryBytes > 0) args.push('--memory', `${job.resources.memoryBytes}b`);
  if (job.resources.gpu.count > 0) args.push('--gpus', String(job.resources.gpu.count));
  args.push('--entrypoint', 'sh', job.image, '-c', shellCommand);
  return args;
}
