/**
 * Where a TCP connection reaches a running Slurm job (for a port-forward): its
 * first node, at the address Slurm itself reaches that node's slurmd at
 * (`NodeAddr`). A node's name is a Slurm name (`nid001234`) that need not
 * resolve on the login node; `NodeAddr` is what slurmctld connects to, so it
 * is reachable from where the executor runs. Without one, the name is used.
 */
import type { JobStatus } from '@pollinator/backend';
import type { CommandRunner } from './runner';

const QUERY_TIMEOUT_MS = 30_000;

/** `NodeAddr` from one-line `scontrol show node -o <name>` output, if that line is the node's. */
export function nodeAddressFromScontrol(stdout: string, nodeName: string): string | undefined {
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(`NodeName=${nodeName} `)) continue;
    const address = /(?:^| )NodeAddr=(\S+)/.exec(line)?.[1];
    return address === undefined || address === '(null)' ? undefined : address;
  }
  return undefined;
}

/** The first node of a running job (the hostlist already expanded), or undefined while it has none. */
export function firstNodeOf(status: JobStatus): string | undefined {
  return status.state === 'running' ? status.nodes[0] : undefined;
}

/** Node name → address, asked once per node (node addresses do not change while the executor runs). */
export class NodeAddresses {
  readonly #known = new Map<string, string>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly env: () => Record<string, string>,
  ) {}

  async address(nodeName: string): Promise<string> {
    const known = this.#known.get(nodeName);
    if (known !== undefined) return known;
    const asked = await this.#ask(nodeName);
    // Only Slurm's answer is remembered: after a failed query the next connection asks again.
    if (asked !== undefined) this.#known.set(nodeName, asked);
    return asked ?? nodeName;
  }

  async #ask(nodeName: string): Promise<string | undefined> {
    // Names come from Slurm's own hostlist; anything else is not passed to a command.
    if (!/^[A-Za-z0-9._-]+$/.test(nodeName)) return undefined;
    try {
      const shown = await this.runner.run('scontrol', ['show', 'node', '-o', nodeName], { env: this.env(), timeoutMs: QUERY_TIMEOUT_MS });
      if (shown.exitCode !== 0) return undefined;
      return nodeAddressFromScontrol(shown.stdout, nodeName) ?? nodeName;
    } catch {
      return undefined;
    }
  }
}
