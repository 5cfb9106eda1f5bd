/** Formatting helpers shared by the pages: times, durations, states. */

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

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
