import type { SyncEvent } from './apply-types';

/** Counts transferred files and bytes and emits throttled `progress` events with rate and ETA. */
export interface ProgressReporter {
  /** Bytes moved (emits a progress event unless one went out less than the interval ago). */
  onBytes(bytes: number): void;
  /** A whole file done (likewise throttled). */
  fileDone(): void;
  /** A progress event now, whatever the interval (the final one). */
  flush(): void;
}

export function createProgressReporter(init: {
  emit: (event: SyncEvent) => void;
  filesTotal: number;
  bytesTotal: number;
  intervalMs: number;
  /** `performance.now()` at the start of the sync. */
  started: number;
}): ProgressReporter {
  let bytesDone = 0;
  let filesDone = 0;
  let lastProgress = 0;
  const progress = (force: boolean) => {
    const now = performance.now();
    if (!force && now - lastProgress < init.intervalMs) return;
    lastProgress = now;
    const elapsedMs = now - init.started;
    const bytesPerSecond = elapsedMs > 0 ? (bytesDone * 1000) / elapsedMs : 0;
    init.emit({
      type: 'progress',
      filesDone,
      filesTotal: init.filesTotal,
      bytesDone,
      bytesTotal: init.bytesTotal,
      bytesPerSecond,
      etaSeconds: bytesPerSecond > 0 ? Math.max(0, (init.bytesTotal - bytesDone) / bytesPerSecond) : null,
      elapsedMs,
    });
  };
  return {
    onBytes(bytes) {
      bytesDone += bytes;
      progress(false);
    },
    fileDone() {
      filesDone += 1;
      progress(false);
    },
    flush() {
      progress(true);
    },
  };
}
