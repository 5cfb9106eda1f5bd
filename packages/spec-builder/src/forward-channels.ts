// The names a keyless forward (`tunnel: {port}`, `pollinator forward`) uses in
// a FunctionSpec. They are protocol facts shared by the spec builder (which
// declares them at submit: ColonyOS creates a process's channels only for
// names the spec lists), the executor runtime (which relays) and the CLI
// (which listens): one home, so the three cannot drift apart.

/** Data flows on two one-way links: `up` = submitter → executor, `down` = executor → submitter. */
export type ForwardDirection = 'up' | 'down';

/**
 * Channels per direction. A link rolls over to the next channel before one
 * fills (the server keeps at most 10,000 entries per channel, never trimmed),
 * so this bounds a forward's lifetime traffic: 8 × 9,000 appends per direction.
 * Both directions together stay far below the server's 100 channels per process.
 */
export const FORWARD_CHANNELS_PER_DIRECTION = 8;

/** Appends a sender puts on one channel before rolling over (below 10,000, leaving room for a retried duplicate). */
export const FORWARD_ENTRIES_PER_CHANNEL = 9_000;

/**
 * The job environment variable that lists the TCP ports the executor may
 * connect to for this process ("8888" or "8888,6006"). The executor refuses a
 * forward to any other port; the job can read it to know where to listen.
 */
export const FORWARD_PORTS_ENV = 'POLLINATOR_FORWARD_PORTS';

/** `pollinator-forward-up-0` … The sequence number `n` (1-based) of a link goes on channel `floor((n - 1) / FORWARD_ENTRIES_PER_CHANNEL)`. */
export function forwardChannelName(direction: ForwardDirection, index: number): string {
  return `pollinator-forward-${direction}-${index}`;
}

/** Every channel a forward-capable spec declares: the `up` ones, then the `down` ones. */
export function forwardChannelNames(): string[] {
  const names: string[] = [];
  for (const direction of ['up', 'down'] as const) {
    for (let index = 0; index < FORWARD_CHANNELS_PER_DIRECTION; index += 1) names.push(forwardChannelName(direction, index));
  }
  return names;
}

/**
 * The channel index that carries link sequence number `sequence` (1-based).
 * `entriesPerChannel` is the protocol's unless a test uses small channels.
 */
export function forwardChannelIndex(sequence: number, entriesPerChannel: number = FORWARD_ENTRIES_PER_CHANNEL): number {
  return Math.floor((sequence - 1) / entriesPerChannel);
}

/**
 * The ports a spec allows, from its environment: `[]` when it declares none
 * or the value is not a comma-separated list of ports 1–65535 (a hostile or
 * hand-written spec gets no forward rather than a guess).
 */
export function allowedForwardPorts(env: Record<string, string> | undefined): number[] {
  const text = env?.[FORWARD_PORTS_ENV];
  if (text === undefined || text.trim() === '') return [];
  const ports: number[] = [];
  for (const part of text.split(',')) {
    if (!/^\s*\d{1,5}\s*$/.test(part)) return [];
    const port = Number(part);
    if (port < 1 || port > 65_535) return [];
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** True when the spec declares every forward channel (what the executor checks before it relays). */
export function declaresForwardChannels(channels: readonly string[] | undefined): boolean {
  if (channels === undefined) return false;
  return forwardChannelNames().every((name) => channels.includes(name));
}
