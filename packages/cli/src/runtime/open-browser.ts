import { spawn } from 'node:child_process';

/** The command that opens a URL in the desktop's browser on this platform. */
export function browserCommand(platform: NodeJS.Platform = process.platform): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [] };
  // `start` is a cmd built-in; its first quoted argument is a window title.
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  return { command: 'xdg-open', args: [] };
}

/**
 * Opens `url` in the browser; resolves with why it could not (the opener is
 * missing or failed), or undefined once the opener started.
 */
export function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const { command, args } = browserCommand();
  return new Promise((resolve) => {
    const child = spawn(command, [...args, url], { stdio: 'ignore', detached: true, env });
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ENOENT' ? `${command} is not installed (no desktop browser to open here)` : `${command} failed: ${error.message}`),
    );
    child.once('spawn', () => {
      child.unref();
      resolve(undefined);
    });
  });
}
