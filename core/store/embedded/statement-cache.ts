import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** Prepares each SQL text once per connection: preparing on every call was the store's main cost under load. */
export function statementCache(db: DatabaseSync): (sql: string) => StatementSync {
  const statements = new Map<string, StatementSync>();
  return (sql) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
}
