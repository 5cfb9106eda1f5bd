// The Go server's parsing of resource strings (colonyos/colonies pkg/parsers):
// cpu only as "<int>m" (anything else reads as 0), memory as <int><unit> with
// 1024- and 1000-based units; read back as "<n>m" and "<bytes / 2^20>Mi".
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

/** Millicores of a cpu string; "" and anything not "<int>m" are 0, as in Go. */
export function parseCpu(text: string): number {
  const match = /^(\d+)m$/.exec(text.trim());
  return match ? Number(match[1]) : 0;
}

/** Bytes of a memory string; "" is 0; a missing or unknown unit is a 400. */
export function parseMemory(text: string): bigint {
  const trimmed = text.trim();
  if (trimmed === '') return 0n;
  const match = /^(\d+)([A-Za-z]+)$/.exec(trimmed);
  if (!match) throw memoryError();
  const unit = MEMORY_UNITS[match[2]!];
  if (unit === undefined) throw memoryError();
  return BigInt(match[1]!) * unit;
}

export const formatCpu = (millicores: number): string => `${millicores}m`;
export const formatMemory = (bytes: bigint): string => `${bytes / 1024n ** 2n}Mi`;
