// Shapes of thrown values that `describeFailure` recognises without a class:
// Node.js errno errors, network codes, aborts. Any thrown value is accepted.

/** A property of anything thrown (undefined for primitives). */
export function field(error: unknown, key: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

/** `error` and its causes, outermost first (at most eight; a cycle ends the walk). */
export function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && current !== null && chain.length < 8 && !chain.includes(current); current = field(current, 'cause')) {
    chain.push(current);
  }
  return chain;
}

/** The first line of an error's message without the `[pollinator] [package]` prefixes. */
export function plainText(error: unknown): string {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : String(field(error, 'message') ?? error);
  return (message.replace(/^(\[[^\]]+\]\s*)+/, '').trim().split('\n')[0] ?? '').trim();
}

const ABORT_CODES = new Set(['ABORTED', 'ABORT_ERR', 'COLONIES_ABORTED', 'INTERRUPTED']);

/** An interruption anywhere in the chain: an AbortError, cfs-sync's ABORTED, the CLI's INTERRUPTED. */
export function isAborted(error: unknown): boolean {
  return errorChain(error).some((link) => field(link, 'name') === 'AbortError' || ABORT_CODES.has(String(field(link, 'code'))));
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** The first link of the chain with a Node.js network code, and the code. */
export function networkCodeOf(error: unknown): { error: unknown; code: string } | undefined {
  for (const link of errorChain(error)) {
    const code = field(link, 'code');
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return { error: link, code };
  }
  return undefined;
}

const FILE_CODES = new Set(['EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ENOENT', 'ELOOP', 'EIO', 'ENOSPC', 'EDQUOT', 'EROFS', 'EMFILE', 'ENFILE', 'ENAMETOOLONG']);

/** A Node.js file-system error (an errno code and the path it concerns), else undefined. */
export function fileErrno(error: unknown): NodeJS.ErrnoException | undefined {
  const code = field(error, 'code');
  if (typeof code !== 'string' || !FILE_CODES.has(code) || typeof field(error, 'path') !== 'string') return undefined;
  return error as NodeJS.ErrnoException;
}
