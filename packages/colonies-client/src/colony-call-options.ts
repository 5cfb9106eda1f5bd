// The one rule for naming a colony: a method that works in a colony takes
// `colonyName` as an optional field of its last (options/query) argument,
// defaulting to the client's colony. Nine methods used to take it as a first
// positional string; `colonyCallOptions` folds that deprecated form into the
// rule so both forms send the same request.
import type { CallOptions } from './transport';

/** The call options plus the colony the call works in (default: the client's). */
export type ColonyCallOptions = CallOptions & { colonyName?: string };

/**
 * The options of a colony call given either way: `(options)` (the rule) or
 * the deprecated `(colonyName, options)`. A string, or any second argument,
 * means the positional form, so `getColony(undefined, { signal })` still
 * reaches the client's colony with its signal.
 */
export function colonyCallOptions(colonyNameOrOptions: string | ColonyCallOptions | undefined, options: CallOptions | undefined): ColonyCallOptions {
  if (typeof colonyNameOrOptions === 'string') return { ...options, colonyName: colonyNameOrOptions };
  if (colonyNameOrOptions === undefined) return options ?? {};
  return colonyNameOrOptions;
}
