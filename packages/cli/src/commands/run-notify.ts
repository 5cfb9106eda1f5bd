import type { RunResult } from '@pollinator/core';
import { usageError } from '../errors';
import { formatDuration } from '../render/format';
import { jsonEnvelope } from '../render/output-json';

/**
 * `pollinator run --notify <url>`: when a run ends, tell a webhook or an
 * ntfy topic. Two formats (docs/cli.md, "Notifications"):
 *
 * - ntfy: a plain-text body with `Title`, `Tags` and `Priority` headers, for
 *   `ntfy:<topic>` (= https://ntfy.sh/<topic>), `ntfy+https://host/topic`
 *   (any ntfy server, also `ntfy+http://`), and http(s) URLs whose host is
 *   `ntfy.sh` or starts with `ntfy.`;
 * - otherwise a JSON summary (`type: "run.finished"`) for any http(s) webhook.
 *
 * Failing to notify is a warning; it never changes the run's exit code.
 */
export interface NotifyTarget {
  format: 'ntfy' | 'json';
  url: URL;
}

const NOTIFY_TIMEOUT_MS = 10_000;

/** The target of `--notify`, checked before the run starts (a bad URL is a usage error, exit 64). */
export function parseNotifyTarget(text: string): NotifyTarget {
  const fail = () =>
    usageError(
      `--notify needs an http(s) URL or an ntfy topic, got "${text}"`,
      'Use --notify https://example.com/hook (a JSON POST), --notify ntfy:<topic> (ntfy.sh) or --notify ntfy+https://ntfy.example.com/<topic>.',
    );
  if (/^ntfy:[A-Za-z0-9_-]+$/.test(text)) return { format: 'ntfy', url: new URL(`https://ntfy.sh/${text.slice('ntfy:'.length)}`) };
  const ntfyScheme = /^ntfy\+(https?:\/\/.*)$/.exec(text);
  let url: URL;
  try {
    url = new URL(ntfyScheme?.[1] ?? text);
  } catch {
    throw fail();
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail();
  const ntfyHost = url.hostname === 'ntfy.sh' || url.hostname.startsWith('ntfy.');
  return { format: ntfyScheme !== null || ntfyHost ? 'ntfy' : 'json', url };
}

export interface RunSummary {
  projectName: string;
  result: RunResult;
  durationMs: number;
}

/** One line for people: `demo: succeeded in 12.3s (process 7f3c…)`. */
export function summaryText(summary: RunSummary): string {
  const { result } = summary;
  const what =
    result.state === 'success'
      ? 'succeeded'
      : result.state === 'failed'
        ? `failed with exit code ${result.exitCode}`
        : result.state === 'cancelled'
          ? 'was cancelled'
          : `ended (${result.state}, exit code ${result.exitCode})`;
  const why = result.error === undefined || result.state === 'success' ? '' : `: ${result.error.message.split('\n')[0]}`;
  const process = result.processId === undefined ? '' : ` (process ${result.processId})`;
  return `${summary.projectName}: ${what} in ${formatDuration(summary.durationMs)}${process}${why}`;
}

/** Sends the notification; resolves with a warning text when it failed (never throws). */
export async function notifyRunEnded(target: NotifyTarget, summary: RunSummary): Promise<string | undefined> {
  const ok = summary.result.state === 'success';
  const request: RequestInit =
    target.format === 'ntfy'
      ? {
          method: 'POST',
          headers: {
            'content-type': 'text/plain; charset=utf-8',
            title: `pollinator: ${summary.projectName} ${ok ? 'succeeded' : 'failed'}`,
            tags: ok ? 'white_check_mark' : 'x',
            priority: ok ? 'default' : 'high',
          },
          body: summaryText(summary),
        }
      : {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(
            jsonEnvelope({
              type: 'run.finished',
              projectName: summary.projectName,
              processId: summary.result.processId ?? null,
              state: summary.result.state,
              exitCode: summary.result.exitCode,
              durationMs: summary.durationMs,
              text: summaryText(summary),
              ...(summary.result.error === undefined ? {} : { error: summary.result.error }),
            }),
          ),
        };
  // Only the host in messages: webhook URLs often carry a secret token in the path.
  const where = target.url.host;
  try {
    const response = await fetch(target.url, { ...request, signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS) });
    await response.body?.cancel();
    if (!response.ok) return `could not notify ${where}: it answered HTTP ${response.status}; the run's outcome is unchanged`;
    return undefined;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return `could not notify ${where}: ${cause ?? (error as Error).message}; the run's outcome is unchanged`;
  }
}
