export * from './column-types.js';
export { toSnakeCase, toIdentifier, MAX_IDENTIFIER_LENGTH } from './naming.js';
export * from './event-rows.js';
export * from './schema-plan.js';
export { WarehouseWriter, errorForResult, type WarehouseStore, type IdentityCondition } from './warehouse-writer.js';
export { SqlWarehouseStore, identityPredicate, quoteIdentifier, readCommonSqlType, type SqlDialect, type RunSql } from './sql-store.js';
export { warehouseConnectorParts, writerPerConnection, MAX_MEMBERSHIPS_PER_CALL, type WarehouseContext, type EventWriter } from './load-action.js';
export { MEMBERSHIPS_TABLE, MEMBERSHIPS_COLUMNS, MEMBERSHIPS_PRIMARY_KEY, type MembershipChange, type UpsertMemberships } from './audience-memberships.js';
