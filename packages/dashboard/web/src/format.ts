/** Formatting helpers shared by the pages: times, durations, states. */
import { formatMemory } from '../../../backend/src/job-cause';

/** ColonyOS writes year-0001 times for "not set". */
export function isSetTime(time: string | undefined | null): time is string {
  return !!time && !time.startsWith('0001-');
}

export function formatTime(time: string | undefined | null): string {
  if (!isSetTime(time)) return '—';
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return time;
  return date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function formatDuration(milliseconds: number | undefined | null): string {
  if (milliseconds === undefined || milliseconds === null || !Number.isFinite(milliseconds) || milliseconds < 0) return '—';
  const seconds = Math.round(milliseconds / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h ${minutes % 60}m`;
}

/** How long a run ran (or has been running so far, by this browser's clock). */
export function runDuration(run: { startTime: string; endTime: string; durationMs?: number }, now = Date.now()): number | undefined {
  if (isSetTime(run.endTime) && run.durationMs !== undefined) return run.durationMs;
  const start = isSetTime(run.startTime) ? Date.parse(run.startTime) : undefined;
  if (start === undefined || Number.isNaN(start)) return run.durationMs;
  return Math.max(0, now - start);
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

/** Sizes as the CLI writes them (16 GiB, 15.8 GiB, 900 KiB): backend's formatter, bundled alone (that file has no imports). */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '—';
  return formatMemory(bytes);
}
