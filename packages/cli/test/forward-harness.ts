import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { cliCommand, definedOnly } from './cli-harness';

/** A `pollinator` command that keeps running (forward, an attached run): its output so far, and its end. */
export interface BackgroundCli {
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout or stderr (as it arrives); rejects if the command exits first. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(name: NodeJS.Signals): void;
}

export function startCli(args: string[], options: { cwd: string; env: Record<string, string | undefined> }): BackgroundCli {
  const { command, args: prefix } = cliCommand();
  const child = spawn(command, [...prefix, ...args], { cwd: options.cwd, env: definedOnly(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const text = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    text.stdout += chunk;
    wake();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    text.stderr += chunk;
    wake();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => {
    done = true;
    wake();
  });
  return {
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    exited,
    signal: (name) => child.kill(name),
    waitFor: (pattern, stream) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = (stream === undefined ? [text.stdout, text.stderr] : [text[stream]]).map((value) => pattern.exec(value)).find((found) => found !== null);
          if (match !== undefined) {
            waiters.delete(check);
            resolve(match);
          } else if (done) {
            waiters.delete(check);
            reject(new Error(`pollinator ${args.join(' ')} exited before printing ${pattern}\nstdout: ${text.stdout}\nstderr: ${text.stderr}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

/** A port nothing listens on right now (the job binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One GET on its own TCP connection (no keep-alive pool): status and the body. */
export function get(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * GET until the job's server answers: the forward listens as soon as the job
 * is RUNNING, the job's HTTP server a moment later (until then the relay
 * resets each connection). Bounded by attempts, not by a timed assertion.
 */
export async function getOnceServing(url: string, attempts = 300): Promise<{ status: number; body: Buffer }> {
  let last: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    try {
      const response = await get(url);
      if (response.status === 200) return response;
      last = new Error(`status ${response.status}`);
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} never answered 200: ${(last as Error).message}`);
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The job: Python's http.server on the tunnel's port, serving
 * $PROJECT_DIR/data; GET /stop ends it (exit 0), and it stops itself after
 * five minutes so that a failed test leaves no server behind.
 */
export function httpServerJob(port: number): string {
  return `import functools, http.server, os, threading
directory = os.path.join(os.environ["PROJECT_DIR"], "data")

class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/stop":
            self.send_response(200)
            self.send_header("Content-Length", "9")
            self.end_headers()
            self.wfile.write(b"stopping\\n")
            threading.Thread(target=server.shutdown).start()
            return
        super().do_GET()

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", ${port}), functools.partial(Handler, directory=directory))
threading.Timer(300, server.shutdown).start()
print("serving on port ${port}", flush=True)
server.serve_forever()
print("stopped", flush=True)
os._exit(0)
`;
}
