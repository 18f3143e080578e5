/**
 * Invoices in DynamoDB, keyed by SEQR's invoiceReference.
 * Writes are conditional and single-item (no transactions, so dynalite serves
 * locally): an invoice is created once, and its status only moves forward.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { FINAL_STATUSES, type InvoiceStatus } from '../../contract/result-codes.js';
import type { InvoiceRow } from '../../core/invoices/invoice-request.js';
import { documentClient, epochSeconds, isExpired, tableName, writeIf } from './dynamo.js';

export interface StoredReceipt {
  paymentReference?: string;
  paymentDate?: string;
  payerTerminalId?: string;
  receiverName?: string;
  terminalId?: string;
}

export interface StoredInvoice {
  invoiceReference: string;
  status: InvoiceStatus;
  /** Ours: bumped on every status change; browsers order pushes by it. */
  version: number;
  /** SEQR's status version, echoed back as invoiceVersion. */
  seqrVersion: number;
  title: string;
  currency: string;
  total: string;
  rows: InvoiceRow[];
  qrCode: string;
  clientInvoiceId?: string;
  backUrl?: string;
  sessionId?: string;
  ersReference?: string;
  receipt?: StoredReceipt;
  notificationTokenHash: string;
  subscribeTokenHash: string;
  createdAt: string;
  updatedAt: string;
  paidAt?: string;
  /** Epoch ms of the last getPaymentStatus a poll asked for (one a second at most). */
  lastCheckedAt?: number;
  /** Set when stored PAID: `OPEN` until a transaction period takes the invoice, then that period's transactionPeriodId. */
  transactionPeriod?: string;
  expiresAt: number;
}

/** `transactionPeriod` of a PAID invoice no transaction period has taken yet. */
export const OPEN_TRANSACTION_PERIOD = 'OPEN';

export const INVOICE_RETENTION_DAYS = Number(process.env.INVOICE_RETENTION_DAYS ?? 90);

export function invoiceExpiry(now = Date.now()): number {
  return epochSeconds(now) + INVOICE_RETENTION_DAYS * 86_400;
}

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

/** The invoice whose notificationUrl carries this token (by the token's hash). */
export async function findInvoiceByNotificationTokenHash(notificationTokenHash: string): Promise<StoredInvoice | undefined> {
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: tableName('invoices'),
      IndexName: 'byNotificationTokenHash',
      KeyConditionExpression: 'notificationTokenHash = :hash',
      ExpressionAttributeValues: { ':hash': notificationTokenHash },
      Limit: 1,
    }),
  );
  const reference = Items?.[0]?.invoiceReference as string | undefined;
  return reference ? getInvoice(reference) : undefined;
}

export interface StatusUpdate {
  status: InvoiceStatus;
  seqrVersion: number;
  ersReference?: string;
  receipt?: StoredReceipt;
}

/**
 * Moves the invoice to a new status: from an open status to any other, never
 * back to an older SEQR version, and never out of a final status, except that
 * PAID wins over any other: a PAID answer has committed the payment at SEQR, and
 * the store must say so. Returns the updated invoice when this call made the
 * change, undefined when it was already there (a duplicate or late answer changes nothing).
 */
export async function advanceStatus(invoiceReference: string, update: StatusUpdate, now = new Date()): Promise<StoredInvoice | undefined> {
  const sets = ['#status = :status', '#version = #version + :one', 'seqrVersion = :seqrVersion', 'updatedAt = :now'];
  const values: Record<string, unknown> = {
    ':status': update.status,
    ':one': 1,
    ':seqrVersion': update.seqrVersion,
    ':now': now.toISOString(),
  };
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
        ConditionExpression: `attribute_exists(invoiceReference) AND ${fromWhere}`,
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

/**
 * Claims the right to ask SEQR about this invoice now: true for one caller a
 * second, however many browsers poll at once.
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

export function isFinal(invoice: Pick<StoredInvoice, 'status'>): boolean {
  return FINAL_STATUSES.has(invoice.status);
}

/**
 * The PAID invoices of a transaction period (or, for OPEN, of none yet), oldest
 * payment first; `paidUpTo` (ISO 8601) leaves out later ones.
 */
export async function invoicesInTransactionPeriod(transactionPeriod: string, paidUpTo?: string): Promise<StoredInvoice[]> {
  const references: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: tableName('invoices'),
        IndexName: 'byTransactionPeriod',
        KeyConditionExpression: paidUpTo ? 'transactionPeriod = :period AND paidAt <= :upTo' : 'transactionPeriod = :period',
        ExpressionAttributeValues: { ':period': transactionPeriod, ...(paidUpTo ? { ':upTo': paidUpTo } : {}) },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) references.push(String(item.invoiceReference));
    start = page.LastEvaluatedKey;
  } while (start);

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
