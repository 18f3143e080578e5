/**
 * The rules every store applies atomically, written once here. The DynamoDB
 * adapter encodes them as condition expressions (tested on dynalite in
 * test/store/); the in-memory store of the unit tests calls these functions.
 */
import { isFinalStatus, type InvoiceStatus } from '../../contract/index.js';
import type { StatusUpdate, StoredInvoice } from './invoice.js';

/**
 * Whether `update` may replace the stored status: from an open status to any
 * other, never back to an older SEQR version, never out of a final status,
 * except that PAID wins over any other (a PAID answer has committed the payment
 * at SEQR, and the store must say so). The same status again changes nothing.
 */
export function canAdvance(current: Pick<StoredInvoice, 'status' | 'seqrVersion'>, update: Pick<StatusUpdate, 'status' | 'seqrVersion'>): boolean {
  if (current.status === update.status) return false;
  if (update.status === 'PAID') return true;
  if (isFinalStatus(current.status)) return false;
  return current.seqrVersion === undefined || current.seqrVersion <= update.seqrVersion;
}

/** Once a second per invoice at most: SEQR's own pacing rule, across every path that asks it. */
export const STATUS_CHECK_INTERVAL_MS = 1_000;

/** Whether an invoice last checked at `lastCheckedAt` may be asked about again at `now`. */
export function statusCheckDue(lastCheckedAt: number | undefined, now: number, intervalMs = STATUS_CHECK_INTERVAL_MS): boolean {
  return lastCheckedAt === undefined || lastCheckedAt <= now - intervalMs;
}

/** 0 for an open status, 1 for a final one: a connection hears each rank's news once. */
export function pushRank(status: InvoiceStatus): number {
  return isFinalStatus(status) ? 1 : 0;
}

/**
 * Whether a connection already pushed up to `pushedRank` may be sent `status`:
 * a final status once; an open one again (a repeated subscribe), never after a final one.
 */
export function pushAllowed(pushedRank: number | undefined, status: InvoiceStatus): boolean {
  if (pushedRank === undefined) return true;
  const rank = pushRank(status);
  return rank === 1 ? pushedRank < rank : pushedRank <= rank;
}

export function isFinal(invoice: Pick<StoredInvoice, 'status'>): boolean {
  return isFinalStatus(invoice.status);
}
