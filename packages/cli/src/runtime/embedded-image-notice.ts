import type { CommandContext } from '../context';
import type { ColonyConnection } from './colony';

/**
 * What a run on the embedded default does with the project's
 * `environment.docker`, said once per run on stderr (stdout carries only the
 * job's output): with Docker or Podman on this machine the job runs in that
 * image; without, it runs as a plain process here and the image is not used
 * (a project asking for Python 3.12 gets this machine's python3).
 */
export function embeddedImageNotice(image: string, jobRuntime: string | undefined): { level: 'info' | 'warn'; text: string } | undefined {
  if (image === '' || jobRuntime === undefined) return undefined;
  if (jobRuntime === 'docker' || jobRuntime === 'podman') {
    const engine = jobRuntime === 'docker' ? 'Docker' : 'Podman';
    return { level: 'info', text: `Image ${image} (environment.docker): the embedded default runs the job in a ${engine} container on this machine.` };
  }
  return {
    level: 'warn',
    text:
      `Image ${image} (environment.docker) is not used here: the embedded default runs jobs without containers on this machine ` +
      '(no Docker or Podman answered), with the tools installed here (python3, …). Install Docker or Podman (then `pollinator dev stop`), or configure a colony, to run in the image.',
  };
}

/** Prints `embeddedImageNotice` for the project in the command's directory when its run goes to the embedded default's executor. */
export async function announceEmbeddedImage(context: CommandContext, connection: ColonyConnection): Promise<void> {
  const embedded = connection.embedded;
  if (embedded === undefined || embedded.executor === 'none') return;
  const { loadProject } = await import('@pollinator/spec-builder');
  // Loaded (and checked) by the command already: a second read of a small file, not a second chance to fail.
  const image = await loadProject(context.cwd).then(
    (loaded) => loaded.project.environment.docker,
    () => '',
  );
  const notice = embeddedImageNotice(image, embedded.advertisement.jobRuntime);
  if (notice === undefined) return;
  if (notice.level === 'warn') context.output.warn(notice.text);
  else context.output.info(notice.text);
}
