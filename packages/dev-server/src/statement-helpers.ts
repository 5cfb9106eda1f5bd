// The three helpers every statement group uses: rows through a typed mapper, and exact integers.
import type Database from 'better-sqlite3';

/** `get` through a mapper: undefined stays undefined. */
export function getRow<Row>(statement: Database.Statement, decode: (value: unknown) => Row, ...params: unknown[]): Row | undefined {
  const value: unknown = statement.get(...params);
  return value === undefined ? undefined : decode(value);
}

/** `all` through a mapper. */
export function allRows<Row>(statement: Database.Statement, decode: (value: unknown) => Row, ...params: unknown[]): Row[] {
  const values: unknown[] = statement.all(...params);
  return values.map(decode);
}

/** `iterate` through a mapper: rows are read only as far as the caller goes. */
export function* iterateRows<Row>(
  statement: Database.Statement,
  decode: (value: unknown) => Row,
  ...params: unknown[]
): Generator<Row, void, undefined> {
  for (const value of statement.iterate(...params)) yield decode(value);
}

/** A statement that returns bigint for every INTEGER column (times, sizes, int64 limits). */
export function prepareExact(db: Database.Database, sql: string): Database.Statement {
  return db.prepare(sql).safeIntegers(true);
}

/** A statement prepared the first time its SQL text is asked for (queries built from a closed set of parts). */
export function statementCache(prepare: (sql: string) => Database.Statement): (sql: string) => Database.Statement {
  const prepared = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = prepared.get(sql);
    if (!statement) {
      statement = prepare(sql);
      prepared.set(sql, statement);
    }
    return statement;
  };
}
