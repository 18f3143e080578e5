/**
 * The outbox: how every stored change becomes an event, at least once, with
 * nothing lost when a function dies between its write and its publish.
 *
 * 1. The write that stores a change (a status, a completed refund) appends the
 *    change's event to the invoice item's `outbox` in the same conditional
 *    write, and bumps `version`: the event exists exactly when the change does.
 *    The writer also takes the outbox's lease (`outboxLeaseUntil`) for itself.
 * 2. After the write (and after the browsers' push) the writer publishes the
 *    item's whole outbox with PutEvents, then removes what the bus took.
 * 3. A publish that fails, or never happens (the function died), leaves the
 *    events in the item. Every later path that reads the invoice (a status
 *    poll, a notification, a subscribe, the shop's operations and their retries,
 *    the watch's periodic check) drains it: it takes the lease once the writer's
 *    has run out, publishes, and removes.
 *
 * The lease keeps two paths from publishing the same event at once (five
 * duplicate notifications publish one event); an event can still go twice (a
 * publish that succeeded but whose removal failed), so consumers deduplicate by
 * `invoiceReference` + `version`, which is unique per event.
 */
import { EVENT_DETAIL_TYPES, type PaymentEvent } from '../../contract/index.js';
import type { Logger } from '../../log.js';
import { refundedTotal } from '../invoices/invoice-views.js';
import type { OutboxEntry, StatusUpdate, StoredInvoice } from '../invoices/invoice.js';
import type { Clock, EventPublisher, InvoiceStore } from '../ports.js';

export interface OutboxDeps {
  invoices: InvoiceStore;
  events: EventPublisher;
  clock: Clock;
  log: Logger;
}

/** The event a status change appends, written beside the change by the store. */
export function statusChangedEntry(
  current: Pick<StoredInvoice, 'status' | 'version' | 'ersReference'>,
  update: Pick<StatusUpdate, 'status' | 'ersReference'>,
  now: number,
): OutboxEntry {
  const ersReference = update.ersReference ?? current.ersReference;
  return {
    detailType: EVENT_DETAIL_TYPES.invoiceStatusChanged,
    status: update.status,
    previousStatus: current.status,
    version: current.version + 1,
    ...(ersReference ? { ersReference } : {}),
    occurredAt: new Date(now).toISOString(),
  };
}

/** The event a refund's completion appends: the invoice stays as it is, its refunded sum grows. */
export function refundCompletedEntry(
  current: Pick<StoredInvoice, 'status' | 'version' | 'ersReference' | 'refunds' | 'currency'>,
  refundId: string,
  refundErsReference: string,
  now: number,
): OutboxEntry {
  const refund = current.refunds?.[refundId];
  if (!refund) throw new Error(`refund ${refundId} is not on the invoice`);
  const after = { ...current, refunds: { ...current.refunds, [refundId]: { ...refund, state: 'SUCCEEDED' as const, ersReference: refundErsReference } } };
  return {
    detailType: EVENT_DETAIL_TYPES.refundCompleted,
    status: current.status,
    previousStatus: current.status,
    version: current.version + 1,
    ...(current.ersReference ? { ersReference: current.ersReference } : {}),
    refundedTotal: refundedTotal(after),
    refund: { refundId, amount: refund.amount, ersReference: refundErsReference },
    occurredAt: new Date(now).toISOString(),
  };
}

/** The invoice's pending events, oldest first. */
export function pendingEntries(invoice: Pick<StoredInvoice, 'outbox'>): OutboxEntry[] {
  return [...(invoice.outbox ?? [])].sort((a, b) => a.version - b.version);
}

export function hasPendingEvents(invoice: Pick<StoredInvoice, 'outbox'>): boolean {
  return (invoice.outbox?.length ?? 0) > 0;
}

/** Whether another publisher may take the outbox now: it has events and no live lease. */
export function outboxClaimable(invoice: Pick<StoredInvoice, 'outbox' | 'outboxLeaseUntil'>, now: number): boolean {
  return hasPendingEvents(invoice) && (invoice.outboxLeaseUntil === undefined || invoice.outboxLeaseUntil <= now);
}

/** The outbox without the acknowledged versions. */
export function withoutVersions(outbox: readonly OutboxEntry[] | undefined, versions: readonly number[]): OutboxEntry[] {
  const done = new Set(versions);
  return (outbox ?? []).filter((entry) => !done.has(entry.version));
}

/** A pending entry as the event published: the invoice's own fields added. */
export function eventOf(invoice: Pick<StoredInvoice, 'invoiceReference' | 'clientInvoiceId' | 'total' | 'currency'>, entry: OutboxEntry): PaymentEvent {
  return {
    detailType: entry.detailType,
    detail: {
      invoiceReference: invoice.invoiceReference,
      ...(invoice.clientInvoiceId ? { clientInvoiceId: invoice.clientInvoiceId } : {}),
      status: entry.status,
      ...(entry.previousStatus ? { previousStatus: entry.previousStatus } : {}),
      version: entry.version,
      ...(entry.ersReference ? { ersReference: entry.ersReference } : {}),
      total: { value: invoice.total, currency: invoice.currency },
      ...(entry.refundedTotal !== undefined ? { refundedTotal: { value: entry.refundedTotal, currency: invoice.currency } } : {}),
      ...(entry.refund
        ? { refund: { refundId: entry.refund.refundId, amount: { value: entry.refund.amount, currency: invoice.currency }, ersReference: entry.refund.ersReference } }
        : {}),
      occurredAt: entry.occurredAt,
    },
  };
}

/**
 * Publishes the invoice's pending events (read from `invoice`, which the caller
 * holds the lease for) and removes them from the outbox. Never throws: what is
 * not published stays for the next path. True when nothing is left pending.
 */
export async function publishOutbox(deps: OutboxDeps, invoice: StoredInvoice): Promise<boolean> {
  const entries = pendingEntries(invoice);
  if (entries.length === 0) return true;
  const versions = entries.map((entry) => entry.version);
  const log = deps.log.with({ invoiceReference: invoice.invoiceReference });
  try {
    await deps.events.publish(entries.map((entry) => eventOf(invoice, entry)));
  } catch (error) {
    log.warn('events not published; kept in the outbox', { versions, error });
    return false;
  }
  log.info('events published', { versions, detailTypes: [...new Set(entries.map((entry) => entry.detailType))] });
  try {
    await deps.invoices.acknowledgeEvents(invoice, versions);
  } catch (error) {
    // Published but still pending: the next path publishes them again, and consumers deduplicate.
    log.warn('published events not removed from the outbox', { versions, error });
    return false;
  }
  return true;
}

/**
 * A read path's part: when the invoice (as just read) has pending events and
 * nobody holds them, take the outbox and publish it. Never throws.
 * Given only a reference, it tries to take the outbox without reading first.
 */
export async function drainOutbox(deps: OutboxDeps, invoice: string | Pick<StoredInvoice, 'invoiceReference' | 'outbox' | 'outboxLeaseUntil'>): Promise<boolean> {
  const now = deps.clock.now();
  if (typeof invoice !== 'string' && !outboxClaimable(invoice, now)) return !hasPendingEvents(invoice);
  const invoiceReference = typeof invoice === 'string' ? invoice : invoice.invoiceReference;
  let claimed: StoredInvoice | undefined;
  try {
    claimed = await deps.invoices.claimOutbox(invoiceReference, now, now + deps.events.leaseMs);
  } catch (error) {
    deps.log.warn('could not take the outbox', { invoiceReference, error });
    return false;
  }
  if (!claimed) return false;
  deps.log.info('draining the outbox', { invoiceReference, versions: pendingEntries(claimed).map((entry) => entry.version) });
  return publishOutbox(deps, claimed);
}
