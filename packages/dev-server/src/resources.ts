// The Go server's parsing of resource strings (colonyos/colonies pkg/parsers):
// cpu only as "<int>m" (anything else reads as 0), memory as <int><unit> with
// 1024- and 1000-based units; read back as "<n>m" and "<bytes / 2^20>Mi".
import { REQUEST_LIMITS } from './request-limits';
import { badRequest, type RpcError } from './rpc-error';

const MEMORY_UNITS: Record<string, bigint> = {
  Ki: 1024n,
  KiB: 1024n,
  Mi: 1024n ** 2n,
  MiB: 1024n ** 2n,
  Gi: 1024n ** 3n,
  GiB: 1024n ** 3n,
  Ti: 1024n ** 4n,
  TiB: 1024n ** 4n,
  K: 1000n,
  KB: 1000n,
  Kb: 1000n,
  M: 1000n ** 2n,
  MB: 1000n ** 2n,
  Mb: 1000n ** 2n,
  G: 1000n ** 3n,
  GB: 1000n ** 3n,
  Gb: 1000n ** 3n,
  T: 1000n ** 4n,
  TB: 1000n ** 4n,
  Tb: 1000n ** 4n,
};

function memoryError(): RpcError {
  return badRequest('error converting memory to int: strconv.ParseInt: parsing "": invalid syntax');
}

/**
 * Millicores of a cpu string; "" and anything not "<int>m" are 0, as in Go.
 * More than REQUEST_LIMITS.cpuMillicores is a 400 naming `field`.
 */
export function parseCpu(text: string, field = 'cpu'): number {
  const digits = /^(\d+)m$/.exec(text.trim())?.[1];
  if (digits === undefined) return 0;
  const millicores = exactDigits(digits);
  if (millicores > BigInt(REQUEST_LIMITS.cpuMillicores)) {
    throw badRequest(`${field} ${shorten(text.trim())} is larger than the limit of ${REQUEST_LIMITS.cpuMillicores}m`);
  }
  return Number(millicores);
}

/**
 * Bytes of a memory string; "" is 0; a missing or unknown unit is a 400, and
 * so is more than REQUEST_LIMITS.memoryBytes (int64, what SQLite can store).
 */
export function parseMemory(text: string, field = 'mem'): bigint {
  const trimmed = text.trim();
  if (trimmed === '') return 0n;
  const match = /^(\d+)([A-Za-z]+)$/.exec(trimmed);
  const digits = match?.[1];
  const unitName = match?.[2];
  if (digits === undefined || unitName === undefined) throw memoryError();
  const unit = MEMORY_UNITS[unitName];
  if (unit === undefined) throw memoryError();
  const bytes = exactDigits(digits) * unit;
  if (bytes > REQUEST_LIMITS.memoryBytes) {
    throw badRequest(`${field} ${shorten(trimmed)} is larger than the limit of ${REQUEST_LIMITS.memoryBytes} bytes (int64)`);
  }
  return bytes;
}

/**
 * The value of a run of decimal digits; runs too long for any limit here come
 * back as 2^64 without being converted (BigInt of a megabyte of digits is
 * super-linear).
 */
function exactDigits(digits: string): bigint {
  const significant = digits.replace(/^0+/, '');
  return significant.length > 24 ? 2n ** 64n : BigInt(significant || '0');
}

/** The start of a value quoted in an error message (it may be megabytes long). */
function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}… (${text.length} characters)` : text;
}

export const formatCpu = (millicores: number): string => `${millicores}m`;
export const formatMemory = (bytes: bigint): string => `${bytes / 1024n ** 2n}Mi`;
