/**
 * Key schemas of the tables. The CDK construct and the local stack (dynalite)
 * both create tables from this, so the two never drift apart.
 * Every table has a TTL on `expiresAt` (epoch seconds).
 */
export type TableName = 'invoices' | 'connections' | 'periods' | 'idempotency';

/** The environment variable naming each table. */
export const TABLE_ENV: Record<TableName, string> = {
  invoices: 'INVOICES_TABLE',
  connections: 'CONNECTIONS_TABLE',
  periods: 'PERIODS_TABLE',
  idempotency: 'IDEMPOTENCY_TABLE',
};

export interface TableSchema {
  partitionKey: string;
  sortKey?: string;
  /**
   * Global secondary indexes: keys only, or keys and the `include`d attributes.
   * Only writes that change a projected attribute are copied to the index.
   */
  indexes: readonly { name: string; partitionKey: string; sortKey?: string; include?: readonly string[]; /** Only items that carry the key are in it (not a new item's). */ sparse?: boolean }[];
}

/** The invoice attributes the notification-token index carries (see InvoiceSnapshot). */
export const NOTIFICATION_INDEX_ATTRIBUTES = ['status', 'version', 'seqrVersion', 'ersReference', 'expiresAt'] as const;

export const TABLE_SCHEMAS: Record<TableName, TableSchema> = {
  invoices: {
    partitionKey: 'invoiceReference',
    indexes: [
      // What the notification path needs before it asks SEQR, so it reads the index alone (no second read).
      { name: 'byNotificationTokenHash', partitionKey: 'notificationTokenHash', include: NOTIFICATION_INDEX_ATTRIBUTES },
      // Sparse: only PAID invoices carry `transactionPeriod` (OPEN until a period takes them, then its id).
      { name: 'byTransactionPeriod', partitionKey: 'transactionPeriod', sortKey: 'paidAt', sparse: true },
      // Sparse: only invoices with a SUCCEEDED refund carry `refundListing`; by their last refund's time, for reconciliation.
      { name: 'byRefundCompletedAt', partitionKey: 'refundListing', sortKey: 'lastRefundCompletedAt', sparse: true },
    ],
  },
  connections: {
    partitionKey: 'invoiceReference',
    sortKey: 'connectionId',
    indexes: [{ name: 'byConnectionId', partitionKey: 'connectionId' }],
  },
  periods: {
    partitionKey: 'slot',
    indexes: [
      { name: 'byTransactionPeriodId', partitionKey: 'transactionPeriodId' },
      // Every period item carries `listing` = "period" (documents do not): newest first by slot.
      { name: 'bySlot', partitionKey: 'listing', sortKey: 'slot' },
    ],
  },
  // Idempotency-Key records (src/core/idempotency/idempotency.ts), 24 h each.
  idempotency: { partitionKey: 'recordId', indexes: [] },
};

export const TTL_ATTRIBUTE = 'expiresAt';
