/**
 * Invoices in DynamoDB, keyed by SEQR's invoiceReference.
 * Writes are conditional and single-item (no transactions, so dynalite serves
 * locally): an invoice is created once, and its status only moves forward.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { FINAL_STATUSES } from '../../contract/index.js';
import type { InvoiceSnapshot, StatusUpdate, StoredInvoice, StoredReceipt } from '../../core/invoices/invoice.js';
import { canAdvance, isFinal } from '../../core/invoices/status-rules.js';
import type { AdvanceOptions, InvoiceStore } from '../../core/ports.js';
import { statusChangedEntry } from '../../core/events/outbox.js';
import { config } from '../../config.js';
import { documentClient, epochSeconds, isExpired, tableName, writeIf } from './dynamo.js';

export type { StatusUpdate, StoredInvoice, StoredReceipt };

/** `transactionPeriod` of a PAID invoice no transaction period has taken yet. */
export const OPEN_TRANSACTION_PERIOD = 'OPEN';



/** Stores a new invoice; fails if the reference is already taken. */
export async function createInvoice(invoice: StoredInvoice): Promise<void> {
  await documentClient().send(
    new PutCommand({
      TableName: tableName('invoices'),
      Item: invoice,
      ConditionExpression: 'attribute_not_exists(invoiceReference)',
    }),
  );
}

export async function getInvoice(invoiceReference: string): Promise<StoredInvoice | undefined> {
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: tableName('invoices'), Key: { invoiceReference }, ConsistentRead: true }),
  );
  const invoice = Item as StoredInvoice | undefined;
  return isExpired(invoice) ? undefined : invoice;
}

/** The invoice whose notificationUrl carries this token (by the token's hash), as the index has it. */
export async function findInvoiceByNotificationTokenHash(notificationTokenHash: string): Promise<InvoiceSnapshot | undefined> {
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: tableName('invoices'),
      IndexName: 'byNotificationTokenHash',
      KeyConditionExpression: 'notificationTokenHash = :hash',
      ExpressionAttributeValues: { ':hash': notificationTokenHash },
      Limit: 1,
    }),
  );
  // The index carries what the notification path needs (NOTIFICATION_INDEX_ATTRIBUTES): no second read.
  const item = Items?.[0] as InvoiceSnapshot | undefined;
  return item && !isExpired(item) ? item : undefined;
}


/** How many times a write pinned to a version is tried again after another write moved the invoice on. */
const VERSION_RACE_ATTEMPTS = 5;

/**
 * Moves the invoice to a new status when `canAdvance` (src/core/invoices/status-rules.ts)
 * allows it, written as one condition expression that also pins the version
 * the change was computed from, and appends the change's event to the outbox
 * in the same write (src/core/events/outbox.ts). Returns the updated invoice
 * when this call made the change, undefined when it was already there (a
 * duplicate or late answer changes nothing).
 */
export async function advanceStatus(invoiceReference: string, update: StatusUpdate, now = new Date(), options: AdvanceOptions = {}): Promise<StoredInvoice | undefined> {
  let known: AdvanceOptions['expected'] = options.expected;
  for (let attempt = 0; attempt < VERSION_RACE_ATTEMPTS; attempt++) {
    if (!known || attempt > 0) {
      const stored = await getItem(invoiceReference);
      if (!stored || !canAdvance(stored, update)) return undefined;
      known = stored;
    } else if (!canAdvance(known, update)) {
      // The caller's copy says no; the stored invoice may say otherwise (a stale index entry).
      known = undefined;
      continue;
    }
    const written = await writeStatus(invoiceReference, update, now, known, options.leaseUntil);
    if (written) return written;
  }
  throw new Error(`invoices store: invoice ${invoiceReference} kept changing under the status update`);
}

async function writeStatus(
  invoiceReference: string,
  update: StatusUpdate,
  now: Date,
  known: NonNullable<AdvanceOptions['expected']>,
  leaseUntil: number | undefined,
): Promise<StoredInvoice | undefined> {
  const entry = statusChangedEntry(known, update, now.getTime());
  const sets = [
    '#status = :status',
    '#version = :next',
    'seqrVersion = :seqrVersion',
    'updatedAt = :now',
    'outbox = list_append(if_not_exists(outbox, :noEvents), :events)',
  ];
  const values: Record<string, unknown> = {
    ':status': update.status,
    ':expected': known.version,
    ':next': entry.version,
    ':seqrVersion': update.seqrVersion,
    ':now': now.toISOString(),
    ':noEvents': [],
    ':events': [entry],
  };
  if (leaseUntil !== undefined) {
    sets.push('outboxLeaseUntil = :leaseUntil');
    values[':leaseUntil'] = leaseUntil;
  }
  if (update.ersReference) {
    sets.push('ersReference = :ersReference');
    values[':ersReference'] = update.ersReference;
  }
  if (update.receipt) {
    sets.push('receipt = :receipt');
    values[':receipt'] = update.receipt;
  }
  if (update.status === 'PAID') {
    sets.push('paidAt = :now');
    // Reconciliation finds the PAID invoices of a period by this (index byTransactionPeriod).
    sets.push('transactionPeriod = if_not_exists(transactionPeriod, :openPeriod)');
    values[':openPeriod'] = OPEN_TRANSACTION_PERIOD;
  }
  let fromWhere = '#status <> :status';
  if (update.status !== 'PAID') {
    const finals = [...FINAL_STATUSES];
    finals.forEach((status, i) => (values[`:final${i}`] = status));
    fromWhere += ` AND NOT (#status IN (${finals.map((_, i) => `:final${i}`).join(', ')})) AND (attribute_not_exists(seqrVersion) OR seqrVersion <= :seqrVersion)`;
  }
  try {
    const { Attributes } = await documentClient().send(
      new UpdateCommand({
        TableName: tableName('invoices'),
        Key: { invoiceReference },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: `attribute_exists(invoiceReference) AND #version = :expected AND ${fromWhere}`,
        ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as StoredInvoice;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/** The item as stored, expired or not (a consistent read). */
async function getItem(invoiceReference: string): Promise<StoredInvoice | undefined> {
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: tableName('invoices'), Key: { invoiceReference }, ConsistentRead: true }),
  );
  return Item as StoredInvoice | undefined;
}

/** Takes the outbox until `leaseUntil` when it has events and no live lease (`outboxClaimable`). */
export async function claimOutbox(invoiceReference: string, now: number, leaseUntil: number): Promise<StoredInvoice | undefined> {
  try {
    const { Attributes } = await documentClient().send(
      new UpdateCommand({
        TableName: tableName('invoices'),
        Key: { invoiceReference },
        UpdateExpression: 'SET outboxLeaseUntil = :until',
        ConditionExpression: 'attribute_exists(outbox) AND size(outbox) > :zero AND (attribute_not_exists(outboxLeaseUntil) OR outboxLeaseUntil <= :now)',
        ExpressionAttributeValues: { ':until': leaseUntil, ':now': now, ':zero': 0 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as StoredInvoice;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/**
 * Removes the published versions' entries from the outbox: by their places in
 * the list as last read, each checked to still hold its version (entries are
 * only ever appended at the end, or removed by this); read again when another
 * removal moved them.
 */
export async function acknowledgeEvents(invoice: Pick<StoredInvoice, 'invoiceReference' | 'outbox'>, versions: readonly number[]): Promise<void> {
  let outbox = invoice.outbox;
  for (let attempt = 0; attempt < VERSION_RACE_ATTEMPTS; attempt++) {
    if (attempt > 0) outbox = (await getItem(invoice.invoiceReference))?.outbox;
    const places = (outbox ?? []).flatMap((entry, index) => (versions.includes(entry.version) ? [{ index, version: entry.version }] : []));
    if (places.length === 0) return;
    const values: Record<string, unknown> = {};
    const conditions = places.map(({ index, version }) => {
      values[`:v${index}`] = version;
      return `outbox[${index}].#version = :v${index}`;
    });
    const removed = await writeIf(
      new UpdateCommand({
        TableName: tableName('invoices'),
        Key: { invoiceReference: invoice.invoiceReference },
        UpdateExpression: `REMOVE ${places.map(({ index }) => `outbox[${index}]`).join(', ')}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: values,
      }),
    );
    if (removed) return;
  }
  throw new Error(`invoices store: the outbox of ${invoice.invoiceReference} kept changing under the acknowledgement`);
}

/**
 * Claims the right to ask SEQR about this invoice now (`statusCheckDue`): true
 * for one caller an interval, however many browsers poll at once.
 */
export async function claimStatusCheck(invoiceReference: string, intervalMs = 1000, now = Date.now()): Promise<boolean> {
  return writeIf(
    new UpdateCommand({
      TableName: tableName('invoices'),
      Key: { invoiceReference },
      UpdateExpression: 'SET lastCheckedAt = :now',
      ConditionExpression: 'attribute_exists(invoiceReference) AND (attribute_not_exists(lastCheckedAt) OR lastCheckedAt <= :before)',
      ExpressionAttributeValues: { ':now': now, ':before': now - intervalMs },
    }),
  );
}

export { isFinal };

/** The invoice store of the core (src/core/ports.ts) on DynamoDB. */
export const dynamoInvoiceStore: InvoiceStore = {
  create: createInvoice,
  get: getInvoice,
  findByNotificationTokenHash: findInvoiceByNotificationTokenHash,
  advanceStatus: (invoiceReference, update, now, options) => advanceStatus(invoiceReference, update, new Date(now), options),
  claimStatusCheck: (invoiceReference, intervalMs, now) => claimStatusCheck(invoiceReference, intervalMs, now),
  claimOutbox,
  acknowledgeEvents,
};

/** When an invoice stored now is deleted by TTL: `INVOICE_RETENTION_DAYS` (90) later. */
export function invoiceExpiry(now = Date.now()): number {
  return epochSeconds(now) + config.invoiceRetentionDays * 86_400;
}

/** The invoices of these references, by reference (consistent reads, 100 at a time). */
async function invoicesByReference(references: readonly string[]): Promise<Map<string, StoredInvoice>> {
  const found = new Map<string, StoredInvoice>();
  for (let i = 0; i < references.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = references.slice(i, i + 100).map((invoiceReference) => ({ invoiceReference }));
    for (let round = 0; keys && keys.length > 0; round++) {
      if (round >= 8) throw new Error('invoices store: batch reads left unprocessed keys');
      const { Responses, UnprocessedKeys } = await documentClient().send(
        new BatchGetCommand({ RequestItems: { [tableName('invoices')]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of Responses?.[tableName('invoices')] ?? []) found.set(String(item.invoiceReference), item as StoredInvoice);
      keys = UnprocessedKeys?.[tableName('invoices')]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return found;
}

/** `refundListing` of an invoice with a SUCCEEDED refund: the partition of the byRefundCompletedAt index. */
export const REFUND_LISTING = 'refund';

/** Every invoice reference a keys-only index of the invoices table holds for the key condition, page by page. */
async function referencesInIndex(indexName: string, keyCondition: string, values: Record<string, unknown>): Promise<string[]> {
  const references: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: tableName('invoices'),
        IndexName: indexName,
        KeyConditionExpression: keyCondition,
        ExpressionAttributeValues: values,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) references.push(String(item.invoiceReference));
    start = page.LastEvaluatedKey;
  } while (start);
  return references;
}

/**
 * Invoices with a refund completed after `after` (ISO 8601; all when undefined):
 * the byRefundCompletedAt index, sorted by each invoice's last refund's completedAt.
 */
export async function invoicesRefundedAfter(after: string | undefined): Promise<StoredInvoice[]> {
  const references = await referencesInIndex(
    'byRefundCompletedAt',
    after ? 'refundListing = :listing AND lastRefundCompletedAt > :after' : 'refundListing = :listing',
    { ':listing': REFUND_LISTING, ...(after ? { ':after': after } : {}) },
  );
  const found = await invoicesByReference(references);
  return references.flatMap((reference) => (found.has(reference) ? [found.get(reference)!] : []));
}

/**
 * The PAID invoices of a transaction period (or, for OPEN, of none yet), oldest
 * payment first; `paidUpTo` (ISO 8601) leaves out later ones.
 */
export async function invoicesInTransactionPeriod(transactionPeriod: string, paidUpTo?: string): Promise<StoredInvoice[]> {
  const references = await referencesInIndex(
    'byTransactionPeriod',
    paidUpTo ? 'transactionPeriod = :period AND paidAt <= :upTo' : 'transactionPeriod = :period',
    { ':period': transactionPeriod, ...(paidUpTo ? { ':upTo': paidUpTo } : {}) },
  );

  const found = await invoicesByReference(references);
  // The index lags the table: keep only what the item itself says.
  return references.flatMap((reference) => {
    const invoice = found.get(reference);
    return invoice && invoice.transactionPeriod === transactionPeriod ? [invoice] : [];
  });
}

/** Moves a PAID invoice from OPEN into a transaction period; false if a period has it already. */
export async function assignTransactionPeriod(invoiceReference: string, transactionPeriodId: string): Promise<boolean> {
  return writeIf(
    new UpdateCommand({
      TableName: tableName('invoices'),
      Key: { invoiceReference },
      UpdateExpression: 'SET transactionPeriod = :id',
      ConditionExpression: 'transactionPeriod = :open',
      ExpressionAttributeValues: { ':id': transactionPeriodId, ':open': OPEN_TRANSACTION_PERIOD },
    }),
  );
}
