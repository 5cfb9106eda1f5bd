// Moved to @pollinator/backend (backends wait long delays too); re-exported so
// core's public API is unchanged.
export { MAX_TIMER_DELAY_MS, setChunkedTimeout, sleepChunked, type ChunkedTimer } from '@pollinator/backend';
