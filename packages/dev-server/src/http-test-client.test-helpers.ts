// Raw HTTP for the body-limit tests: bodies that are huge, slow or never end,
// which `fetch` cannot send on purpose.
import { request } from 'node:http';

export interface RawHttpReply {
  status: number;
  /** The error message of an error envelope, or the body text. */
  message: string;
}

export interface StreamingRequest {
  /** Writes a chunk (resolves once the socket took it, rejects when the server cut the connection). */
  write(chunk: Buffer | string): Promise<void>;
  end(): void;
  /** The server's answer, or the error that ended the connection without one. */
  reply: Promise<RawHttpReply>;
  destroy(): void;
}

function messageOf(text: string): string {
  try {
    const envelope = JSON.parse(text) as { payload?: string };
    const payload = JSON.parse(Buffer.from(envelope.payload ?? '', 'base64').toString('utf8')) as { message?: string };
    return payload.message ?? text;
  } catch {
    return text;
  }
}

/** Starts `POST /api` with the given headers; the body is written piece by piece. */
export function startPost(url: string, headers: Record<string, string | number> = {}): StreamingRequest {
  const client = request(`${url}/api`, { method: 'POST', headers });
  const reply = new Promise<RawHttpReply>((resolve, reject) => {
    client.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, message: messageOf(text) });
      });
      response.on('error', reject);
    });
    client.on('error', reject);
  });
  // A write failing because the server answered and closed is expected here; the reply tells.
  reply.catch(() => undefined);
  client.flushHeaders();
  return {
    write: (chunk) =>
      new Promise((resolve, reject) => {
        client.write(chunk, (error) => (error ? reject(error) : resolve()));
      }),
    end: () => client.end(),
    reply,
    destroy: () => client.destroy(),
  };
}
