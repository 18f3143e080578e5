/**
 * Transaction periods in DynamoDB, one item per schedule slot (the scheduled
 * minute, `2025-01-31T23:00Z`). A run claims the slot with a conditional put
 * before it calls SEQR, so a retried or doubled run marks the period once.
 * A claim that never got its transactionPeriodId (the run crashed) can be taken
 * over once its lease has run out. The work after marking (reports,
 * reconciliation) has a lease of its own (`workClaimId`, `workUntil`), and
 * every write of that work is conditional on holding it.
 *
 * Reports and the list of differences can be large, so they live beside the
 * period, not in it: documents keyed `doc#<slot>#<name>#<part>` in the same
 * table, gzipped JSON cut into parts well under DynamoDB's 400 KB item limit.
 * Documents carry neither `listing` nor `transactionPeriodId`, so neither index
 * sees them. Single-item conditional writes only, so dynalite serves it locally.
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, tableName, writeIf } from './dynamo.js';
import { OPEN_TRANSACTION_PERIOD, assignTransactionPeriod, invoicesInTransactionPeriod, invoicesRefundedAfter, type StoredInvoice } from './invoices.js';
import {
  PeriodWorkLostError,
  type ClaimResult,
  type Difference,
  type PeriodInvoice,
  type PeriodInvoices,
  type PeriodPage,
  type PeriodRefund,
  type PeriodReportStatus,
  type PeriodStore,
  type ReconciliationSummary,
  type StoredPeriod,
  type StoredReport,
} from '../../core/periods/ports.js';

export type { ClaimResult, StoredPeriod } from '../../core/periods/ports.js';

/** What every period item carries in `listing`: the key of the newest-first index. */
const LISTING = 'period';
const BY_SLOT_INDEX = 'bySlot';
const BY_PERIOD_ID_INDEX = 'byTransactionPeriodId';
/** Bytes of gzipped JSON per document item. */
const PART_BYTES = 300_000;

/** The cursor of GET /transaction-periods is not one this API gave out. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

/**
 * Claims the slot for this run: succeeds when the slot is new, or when it holds
 * no transactionPeriodId and its claim is older than the lease.
 */
export async function claimPeriodSlot(slot: string, claimId: string, now: number, leaseMs: number): Promise<ClaimResult> {
  try {
    const { Attributes } = await documentClient().send(
      new UpdateCommand({
        TableName: tableName('periods'),
        Key: { slot },
        UpdateExpression: 'SET claimId = :claimId, claimedAt = :now, #listing = :listing ADD attempts :one',
        ConditionExpression: 'attribute_not_exists(slot) OR (attribute_not_exists(transactionPeriodId) AND claimedAt < :staleBefore)',
        ExpressionAttributeNames: { '#listing': 'listing' },
        ExpressionAttributeValues: { ':claimId': claimId, ':now': now, ':one': 1, ':staleBefore': now - leaseMs, ':listing': LISTING },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { claimed: true, period: withoutListing(Attributes) };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { claimed: false, period: await getPeriod(slot) };
    throw error;
  }
}

/**
 * Stores SEQR's answer on the claim, the reports wanted (pending) and the work
 * lease for this run; false if this run no longer holds the claim (taken over after its lease).
 */
export async function recordTransactionPeriod(
  slot: string,
  claimId: string,
  marked: Parameters<PeriodStore['recordMarked']>[2],
): Promise<boolean> {
  const reports: Record<string, PeriodReportStatus> = Object.fromEntries(
    marked.reportIds.map((reportId) => [reportId, { state: 'pending', attempts: 0, notReadyAnswers: 0 } satisfies PeriodReportStatus]),
  );
  return writeIf(
    new UpdateCommand({
      TableName: tableName('periods'),
      Key: { slot },
      UpdateExpression:
        'SET transactionPeriodId = :id, markedAt = :markedAt, markRequestedAt = :requestedAt, #reports = :reports, workClaimId = :claimId, workUntil = :workUntil' +
        (marked.parameters ? ', #parameters = :parameters' : ''),
      ConditionExpression: 'claimId = :claimId AND attribute_not_exists(transactionPeriodId)',
      ExpressionAttributeNames: { '#reports': 'reports', ...(marked.parameters ? { '#parameters': 'parameters' } : {}) },
      ExpressionAttributeValues: {
        ':id': marked.transactionPeriodId,
        ':markedAt': marked.markedAt,
        ':requestedAt': marked.markRequestedAt,
        ':reports': reports,
        ':claimId': claimId,
        ':workUntil': marked.workUntil,
        ...(marked.parameters ? { ':parameters': marked.parameters } : {}),
      },
    }),
  );
}

/** Gives the slot back (SEQR said no: nothing was marked), so the next retry need not wait for the lease. */
export async function releasePeriodSlot(slot: string, claimId: string): Promise<void> {
  await writeIf(
    new DeleteCommand({
      TableName: tableName('periods'),
      Key: { slot },
      ConditionExpression: 'claimId = :claimId AND attribute_not_exists(transactionPeriodId)',
      ExpressionAttributeValues: { ':claimId': claimId },
    }),
  );
}

function withoutListing(item: Record<string, unknown> | undefined): StoredPeriod {
  const { listing: _listing, ...period } = (item ?? {}) as Record<string, unknown>;
  return period as unknown as StoredPeriod;
}

export async function getPeriod(slot: string): Promise<StoredPeriod | undefined> {
  if (slot.startsWith('doc#')) return undefined;
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName('periods'), Key: { slot }, ConsistentRead: true }));
  return Item ? withoutListing(Item) : undefined;
}

/** The period SEQR knows by this id. */
export async function getPeriodByTransactionPeriodId(transactionPeriodId: string): Promise<StoredPeriod | undefined> {
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: tableName('periods'),
      IndexName: BY_PERIOD_ID_INDEX,
      KeyConditionExpression: 'transactionPeriodId = :id',
      ExpressionAttributeValues: { ':id': transactionPeriodId },
      Limit: 1,
    }),
  );
  const slot = Items?.[0]?.slot as string | undefined;
  return slot ? getPeriod(slot) : undefined;
}

/** Writes a period as is (tests, and repairs by hand). */
export async function putPeriod(period: StoredPeriod): Promise<void> {
  await documentClient().send(new PutCommand({ TableName: tableName('periods'), Item: { ...period, listing: LISTING } }));
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ slot: key.slot }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor');
  }
  const slot = (parsed as { slot?: unknown } | null)?.slot;
  if (typeof slot !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/.test(slot)) throw new InvalidCursorError('not a cursor');
  return { slot, listing: LISTING };
}

/** Periods newest first (by slot), `limit` a page, from `cursor` on. */
export async function listPeriods(limit: number, cursor?: string): Promise<PeriodPage> {
  const { Items, LastEvaluatedKey } = await documentClient().send(
    new QueryCommand({
      TableName: tableName('periods'),
      IndexName: BY_SLOT_INDEX,
      KeyConditionExpression: '#listing = :listing',
      ExpressionAttributeNames: { '#listing': 'listing' },
      ExpressionAttributeValues: { ':listing': LISTING },
      ScanIndexForward: false,
      // One more than asked: a next page exists only when it holds something.
      Limit: limit + 1,
      ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor) } : {}),
    }),
  );
  const slots = (Items ?? []).slice(0, limit).map((item) => String(item.slot));
  const periods = await batchGetPeriods(slots);
  const more = (Items ?? []).length > limit || (LastEvaluatedKey !== undefined && slots.length > 0);
  return { periods, ...(more && slots.length > 0 ? { cursor: encodeCursor({ slot: slots[slots.length - 1] }) } : {}) };
}

/** The periods of these slots, in this order (an index entry whose item is gone is left out). */
async function batchGetPeriods(slots: string[]): Promise<StoredPeriod[]> {
  const found = new Map<string, StoredPeriod>();
  for (let i = 0; i < slots.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = slots.slice(i, i + 100).map((slot) => ({ slot }));
    for (let round = 0; keys && keys.length > 0 && round < 5; round++) {
      const { Responses, UnprocessedKeys } = await documentClient().send(
        new BatchGetCommand({ RequestItems: { [tableName('periods')]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of Responses?.[tableName('periods')] ?? []) found.set(String(item.slot), withoutListing(item));
      keys = UnprocessedKeys?.[tableName('periods')]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return slots.flatMap((slot) => (found.has(slot) ? [found.get(slot)!] : []));
}

/** Takes the work lease on a marked period: free, expired, or already this run's. */
export async function claimPeriodWork(slot: string, claimId: string, now: number, leaseMs: number): Promise<StoredPeriod | undefined> {
  try {
    const { Attributes } = await documentClient().send(
      new UpdateCommand({
        TableName: tableName('periods'),
        Key: { slot },
        UpdateExpression: 'SET workClaimId = :claimId, workUntil = :until',
        ConditionExpression: 'attribute_exists(transactionPeriodId) AND (attribute_not_exists(workUntil) OR workUntil < :now OR workClaimId = :claimId)',
        ExpressionAttributeValues: { ':claimId': claimId, ':until': now + leaseMs, ':now': now },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return withoutListing(Attributes);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

export async function releasePeriodWork(slot: string, claimId: string): Promise<void> {
  await writeIf(
    new UpdateCommand({
      TableName: tableName('periods'),
      Key: { slot },
      UpdateExpression: 'REMOVE workClaimId, workUntil',
      ConditionExpression: 'workClaimId = :claimId',
      ExpressionAttributeValues: { ':claimId': claimId },
    }),
  );
}

/** An update of the period that holds only while this run holds the work lease. */
async function updateWorking(slot: string, claimId: string, set: string, names: Record<string, string>, values: Record<string, unknown>): Promise<void> {
  const made = await writeIf(
    new UpdateCommand({
      TableName: tableName('periods'),
      Key: { slot },
      UpdateExpression: `SET ${set}`,
      ConditionExpression: 'workClaimId = :claimId',
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: { ...values, ':claimId': claimId },
    }),
  );
  if (!made) throw new PeriodWorkLostError(slot);
}

function documentKey(slot: string, name: string, part: number): string {
  return `doc#${slot}#${name}#${part}`;
}

/** Stores a JSON value beside its period, gzipped and cut into parts; part 0 says how many and which write. */
async function putDocument(slot: string, name: string, value: unknown): Promise<void> {
  const data = gzipSync(Buffer.from(JSON.stringify(value), 'utf8'));
  const parts = Math.max(1, Math.ceil(data.length / PART_BYTES));
  const writeId = randomUUID();
  // Part 0 last: a reader that finds it finds every part it names.
  for (let part = parts - 1; part >= 0; part--) {
    await documentClient().send(
      new PutCommand({
        TableName: tableName('periods'),
        Item: {
          slot: documentKey(slot, name, part),
          periodSlot: slot,
          document: name,
          part,
          parts,
          writeId,
          data: data.subarray(part * PART_BYTES, (part + 1) * PART_BYTES),
        },
      }),
    );
  }
}

async function getDocument<T>(slot: string, name: string): Promise<T | undefined> {
  const get = async (part: number) =>
    (await documentClient().send(new GetCommand({ TableName: tableName('periods'), Key: { slot: documentKey(slot, name, part) }, ConsistentRead: true }))).Item;
  const head = await get(0);
  if (!head) return undefined;
  const chunks: Uint8Array[] = [head.data as Uint8Array];
  for (let part = 1; part < Number(head.parts); part++) {
    const item = await get(part);
    if (!item || item.writeId !== head.writeId) throw new Error(`document ${name} of period ${slot} is incomplete`);
    chunks.push(item.data as Uint8Array);
  }
  return JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as T;
}

function reportDocument(reportId: string): string {
  return `report:${reportId}`;
}

export async function getStoredReport(slot: string, reportId: string): Promise<StoredReport | undefined> {
  return getDocument<StoredReport>(slot, reportDocument(reportId));
}

export async function getDifferences(slot: string): Promise<Difference[] | undefined> {
  return getDocument<Difference[]>(slot, 'differences');
}

/** The periods store of the core's port, on this table. */
export const dynamoPeriodStore: PeriodStore = {
  claimSlot: claimPeriodSlot,
  recordMarked: recordTransactionPeriod,
  releaseSlot: releasePeriodSlot,
  get: getPeriod,
  list: listPeriods,
  claimWork: claimPeriodWork,
  releaseWork: releasePeriodWork,
  async saveReportStatus(slot, claimId, reportId, status) {
    await updateWorking(slot, claimId, '#reports.#reportId = :status', { '#reports': 'reports', '#reportId': reportId }, { ':status': status });
  },
  async saveReport(slot, claimId, report, status) {
    await putDocument(slot, reportDocument(report.reportId), report);
    await dynamoPeriodStore.saveReportStatus(slot, claimId, report.reportId, status);
  },
  getReport: getStoredReport,
  async saveAssignment(slot, claimId, assignedInvoices, at) {
    await updateWorking(slot, claimId, 'invoicesAssignedAt = :at, assignedInvoices = :n', {}, { ':at': at, ':n': assignedInvoices });
  },
  async saveReconciliation(slot, claimId, summary: ReconciliationSummary, differences: Difference[]) {
    await putDocument(slot, 'differences', differences);
    await updateWorking(slot, claimId, '#reconciliation = :summary', { '#reconciliation': 'reconciliation' }, { ':summary': summary });
  },
  getDifferences,
};

/** Our PAID invoices as the core's reconciliation port sees them. */
export const dynamoPeriodInvoices: PeriodInvoices = {
  async openPaid(paidUpTo) {
    return (await invoicesInTransactionPeriod(OPEN_TRANSACTION_PERIOD, paidUpTo)).map(periodInvoiceOf);
  },
  async ofPeriod(transactionPeriodId) {
    return (await invoicesInTransactionPeriod(transactionPeriodId)).map(periodInvoiceOf);
  },
  assign: assignTransactionPeriod,
  async refundsCompletedAfter(after) {
    const refunds: PeriodRefund[] = [];
    for (const invoice of await invoicesRefundedAfter(after)) {
      for (const refund of Object.values(invoice.refunds ?? {})) {
        if (refund.state !== 'SUCCEEDED' || !refund.ersReference || !refund.completedAt) continue;
        if (after !== undefined && refund.completedAt <= after) continue;
        refunds.push({
          invoiceReference: invoice.invoiceReference,
          refundId: refund.refundId,
          ersReference: refund.ersReference,
          amount: refund.amount,
          currency: invoice.currency,
          completedAt: refund.completedAt,
        });
      }
    }
    return refunds.sort((a, b) => (a.completedAt < b.completedAt ? -1 : a.completedAt > b.completedAt ? 1 : 0));
  },
};

function periodInvoiceOf(invoice: StoredInvoice): PeriodInvoice {
  return {
    invoiceReference: invoice.invoiceReference,
    status: invoice.status,
    total: invoice.total,
    currency: invoice.currency,
    ...(invoice.ersReference ? { ersReference: invoice.ersReference } : {}),
    ...(invoice.paidAt ? { paidAt: invoice.paidAt } : {}),
    ...(invoice.transactionPeriod ? { transactionPeriod: invoice.transactionPeriod } : {}),
  };
}
