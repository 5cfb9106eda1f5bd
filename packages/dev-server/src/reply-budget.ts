// Bounded replies: lists of rows whose text can be large (log messages) stop
// once a character budget is spent, instead of building a reply of gigabytes.

/**
 * The rows of `rows`, in order, up to and including the one that makes their
 * `message`s exceed `budget` characters: at least one row whenever there is
 * one, so a client reading page by page always makes progress. Stops reading
 * `rows` there (a database cursor is closed without fetching the rest).
 */
export function takeWithinBudget<T extends { message: string }>(rows: Iterable<T>, budget: number): T[] {
  const taken: T[] = [];
  let spent = 0;
  for (const row of rows) {
    if (taken.length > 0 && spent + row.message.length > budget) break;
    taken.push(row);
    spent += row.message.length;
  }
  return taken;
}
