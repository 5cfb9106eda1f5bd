// Bounded replies: lists of rows whose text can be large (log messages) stop
// once a byte budget is spent, instead of building a reply of gigabytes.

/**
 * The rows of `rows`, in order, up to and including the one that makes their
 * `sizeOf`s exceed `budget`: at least one row whenever there is one, so a
 * client reading page by page always makes progress. Stops reading `rows`
 * there (a database cursor is closed without fetching the rest).
 */
export function takeWithinBudget<T>(rows: Iterable<T>, budget: number, sizeOf: (row: T) => number): T[] {
  const taken: T[] = [];
  let spent = 0;
  for (const row of rows) {
    const size = sizeOf(row);
    if (taken.length > 0 && spent + size > budget) break;
    taken.push(row);
    spent += size;
  }
  return taken;
}
