// The original Pollinator used the whole NODES attribute (a Slurm host list
// such as "nid[001-004],gpu7") as the SSH target host, which fails for every
// multi-node job. The job's first node is where its rank 0 (and so Jupyter or
// TensorBoard) runs; this module reads it and refuses anything that is not a
// host list, because the value comes from the executor, not from the user.
import { defineErrorMarker, PollinatorError } from '@pollinator/errors';

const MARKER = defineErrorMarker<NodeListError>('NodeListError');

/** The stable code of every `NodeListError`. */
export const NODE_LIST_INVALID = 'NODE_LIST_INVALID';

/** A NODES value that is not a Slurm host list (empty, spaces, option-like, bad brackets). */
export class NodeListError extends PollinatorError {
  constructor(nodes: string, reason: string) {
    super(
      NODE_LIST_INVALID,
      `The job's node list ${quoteForMessage(nodes)} is not a Slurm host list: ${reason}. ` +
        'Expected host names such as "nid001", "node1,node2" or "nid[001-004],gpu7"; ' +
        "check the NODES attribute the executor set on the process.",
      { details: { reason } },
    );
    this.name = 'NodeListError';
    MARKER.mark(this);
  }

  /** `instanceof` that also works across two installed copies of the package. */
  static override isInstance(value: unknown): value is NodeListError {
    return MARKER.isMarked(value);
  }
}

/** Longest value we parse: a host list of tens of thousands of nodes, never megabytes. */
const MAX_NODE_LIST_LENGTH = 65_536;
/** One DNS name is at most 253 characters. */
const MAX_HOST_LENGTH = 253;
const NAME_PART = /^[A-Za-z0-9._-]+/;
const RANGE = /^(\d+)(?:-(\d+))?$/;
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The first host of a Slurm host list: `nid[001-004,007],gpu7` → `nid001`,
 * `node1,node2` → `node1`, `rack[1-2]-n[01-04]` → `rack1-n01`. The whole value
 * is checked (so a hostile tail is not ignored); throws `NodeListError`.
 */
export function firstNode(nodes: string): string {
  if (typeof nodes !== 'string' || nodes.length === 0) throw new NodeListError(String(nodes), 'it is empty');
  if (nodes.length > MAX_NODE_LIST_LENGTH) throw new NodeListError(nodes, `it is longer than ${MAX_NODE_LIST_LENGTH} characters`);
  if (/\s/.test(nodes)) throw new NodeListError(nodes, 'it contains white space');
  const items = splitTopLevel(nodes);
  const hosts = items.map((item) => firstHostOfItem(nodes, item));
  return hosts[0] as string;
}

/** Splits at the commas outside brackets (commas inside separate ranges). */
function splitTopLevel(nodes: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < nodes.length; index += 1) {
    const character = nodes[index];
    if (character === '[') {
      if (depth > 0) throw new NodeListError(nodes, 'brackets are nested');
      depth = 1;
    } else if (character === ']') {
      if (depth === 0) throw new NodeListError(nodes, 'a "]" has no matching "["');
      depth = 0;
    } else if (character === ',' && depth === 0) {
      items.push(nodes.slice(start, index));
      start = index + 1;
    }
  }
  if (depth > 0) throw new NodeListError(nodes, 'a "[" is not closed');
  items.push(nodes.slice(start));
  for (const item of items) if (item.length === 0) throw new NodeListError(nodes, 'it has an empty entry');
  return items;
}

/** `rack[1-2]-n[01-04]` → `rack1-n01`: each bracket group contributes its first number as written. */
function firstHostOfItem(nodes: string, item: string): string {
  let rest = item;
  let host = '';
  while (rest.length > 0) {
    if (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      host += firstOfRanges(nodes, rest.slice(1, close));
      rest = rest.slice(close + 1);
      continue;
    }
    const part = NAME_PART.exec(rest);
    if (part === null) throw new NodeListError(nodes, `the character ${JSON.stringify(rest[0])} is not allowed in a host name`);
    host += part[0];
    rest = rest.slice(part[0].length);
  }
  if (host.startsWith('-')) throw new NodeListError(nodes, 'a host name starts with "-" (it would read as a command-line option)');
  if (!HOST_NAME.test(host)) throw new NodeListError(nodes, `${JSON.stringify(host)} is not a host name`);
  if (host.length > MAX_HOST_LENGTH) throw new NodeListError(nodes, `a host name is longer than ${MAX_HOST_LENGTH} characters`);
  return host;
}

/** `001-004,007` → `001` (zero padding kept, as Slurm does); every range is checked. */
function firstOfRanges(nodes: string, ranges: string): string {
  if (ranges.length === 0) throw new NodeListError(nodes, 'a bracket group "[]" is empty');
  const parts = ranges.split(',');
  for (const part of parts) {
    const match = RANGE.exec(part);
    if (match === null) throw new NodeListError(nodes, `${JSON.stringify(part)} is not a number or a range like 001-004`);
    const [, low, high] = match;
    if (high !== undefined && Number(high) < Number(low)) throw new NodeListError(nodes, `the range ${part} runs backwards`);
  }
  return (RANGE.exec(parts[0] as string) as RegExpExecArray)[1] as string;
}

/** A value shown to the user: quoted, control characters escaped, long values cut. */
function quoteForMessage(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(shown);
}
