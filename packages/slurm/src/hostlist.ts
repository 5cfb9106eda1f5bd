/**
 * Slurm hostlist expansion, as `scontrol show hostnames` does it:
 * `nid[001-003,007],gpu01` → `nid001 nid002 nid003 nid007 gpu01`. Zero padding
 * is kept (`[08-10]` → `08 09 10`), several bracket groups in one name expand
 * as a product (`r[1-2]n[1-2]` → `r1n1 r1n2 r2n1 r2n2`), and commas inside
 * brackets do not split hosts. The original executor lost the padding and
 * passed anything but a single `prefix[a-b]` through unexpanded.
 */

/** Expands a Slurm hostlist expression into host names, in order. */
export function expandHostlist(expression: string): string[] {
  const text = expression.trim();
  if (text === '' || text === '(null)' || text === 'None assigned') return [];
  const hosts: string[] = [];
  for (const part of splitTopLevel(text)) {
    if (part !== '') hosts.push(...expandOne(part));
  }
  return hosts;
}

/** Splits at commas that are not inside brackets. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const character of text) {
    if (character === '[') depth += 1;
    if (character === ']') depth = Math.max(0, depth - 1);
    if (character === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else {
      current += character;
    }
  }
  parts.push(current.trim());
  return parts;
}

function expandOne(pattern: string): string[] {
  const open = pattern.indexOf('[');
  if (open < 0) return [pattern];
  const close = pattern.indexOf(']', open);
  if (close < 0) throw new Error(`Invalid hostlist "${pattern}": missing "]"`);
  const prefix = pattern.slice(0, open);
  const rest = expandOne(pattern.slice(close + 1));
  const values: string[] = [];
  for (const range of pattern.slice(open + 1, close).split(',')) {
    const match = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(range);
    if (!match) throw new Error(`Invalid hostlist "${pattern}": bad range "${range}"`);
    const low = match[1]!;
    const high = match[2] ?? low;
    const width = low.length;
    const from = Number(low);
    const to = Number(high);
    if (to < from) throw new Error(`Invalid hostlist "${pattern}": range "${range}" goes backwards`);
    if (to - from > 100_000) throw new Error(`Invalid hostlist "${pattern}": range "${range}" is too large`);
    for (let value = from; value <= to; value += 1) values.push(String(value).padStart(width, '0'));
  }
  const hosts: string[] = [];
  for (const value of values) for (const suffix of rest) hosts.push(`${prefix}${value}${suffix}`);
  return hosts;
}
