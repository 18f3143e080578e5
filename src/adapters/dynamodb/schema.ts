/**
 * Key schemas of the tables. The CDK construct and the local stack (dynalite)
 * both create tables from this, so the two never drift apart.
 * Every table has a TTL on `expiresAt` (epoch seconds).
 */
export type TableName = 'invoices' | 'connections' | 'periods' | 'sessions';

/** The environment variable naming each table. */
export const TABLE_ENV: Record<TableName, string> = {
  invoices: 'INVOICES_TABLE',
  connections: 'CONNECTIONS_TABLE',
  periods: 'PERIODS_TABLE',
  sessions: 'SESSIONS_TABLE',
};

export interface TableSchema {
  partitionKey: string;
  sortKey?: string;
  /** Global secondary indexes, keys only: reads go back to the table for the item. */
  indexes: readonly { name: string; partitionKey: string }[];
}

export const TABLE_SCHEMAS: Record<TableName, TableSchema> = {
  invoices: {
    partitionKey: 'invoiceReference',
    indexes: [{ name: 'byNotificationTokenHash', partitionKey: 'notificationTokenHash' }],
  },
  connections: {
    partitionKey: 'invoiceReference',
    sortKey: 'connectionId',
    indexes: [{ name: 'byConnectionId', partitionKey: 'connectionId' }],
  },
  periods: { partitionKey: 'slot', indexes: [] },
  sessions: { partitionKey: 'sessionId', indexes: [] },
};

export const TTL_ATTRIBUTE = 'expiresAt';
