/**
 * Schema names of the PostgreSQL state: 1 to 63 letters, digits or underscores, not starting with `pg_`. Longer
 * names would be truncated by PostgreSQL, so two of them could name one schema.
 */
const SCHEMA_NAME = /^[A-Za-z0-9_]{1,63}$/;

export function isSchemaName(name: string): boolean {
  return SCHEMA_NAME.test(name) && !name.startsWith('pg_');
}

export function schemaNameProblem(what: string, name: string): string {
  return `${what} schema ${JSON.stringify(name)} is not a schema name: use 1 to 63 letters, digits or underscores, not starting with pg_`;
}
