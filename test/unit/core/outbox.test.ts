// Intent: the outbox rules over in-memory ports. A stored change and its event
// are written together; the writer publishes and removes it; a failed or
// missing publish leaves it for the next path that reads the invoice, once the
// writer's lease is over; nothing is published twice by paths that overlap.
import { beforeEach, describe, expect, it } from 'vitest';
import { createInvoice, type CreatedInvoice } from '../../../src/core/invoices/create-invoice.js';
import { parseInvoiceRequest } from '../../../src/core/invoices/invoice-request.js';
import type { StoredInvoice } from '../../../src/core/invoices/invoice.js';
import { drainOutbox, eventOf, outboxClaimable, pendingEntries, publishOutbox, refundCompletedEntry, statusChangedEntry, withoutVersions } from '../../../src/core/events/outbox.js';
import { cancelInvoice } from '../../../src/core/invoices/cancel-invoice.js';
import { handleNotification } from '../../../src/core/payments/notification.js';
import { recordStatus } from '../../../src/core/payments/payment-status.js';
import { pollStatus } from '../../../src/core/payments/status-poll.js';
import { connect, subscribe } from '../../../src/core/subscriptions/subscriptions.js';
import { memoryDeps, type MemoryDeps } from '../../support/memory-ports.js';

const ORDER = { title: 'Order 7', currency: 'SEK', clientInvoiceId: 'A-7', rows: [{ description: 'Coffee', quantity: '2', unitPrice: '25.00' }] };
const SETTINGS = { publicBaseUrl: 'https://api.example', websocketUrl: 'wss://ws.example/live', retentionDays: 90 };
const PAID = { status: 'PAID' as const, version: 2, ersReference: '7'.repeat(25) };
const LEASE = 10_000;

let deps: MemoryDeps;
beforeEach(() => {
  deps = memoryDeps();
});

async function created(): Promise<CreatedInvoice & { notificationToken: string }> {
  const invoice = await createInvoice({ ...deps, settings: SETTINGS }, parseInvoiceRequest(ORDER), deps.log);
  const notificationToken = deps.seqr.sent.get(invoice.invoiceReference)!.notificationUrl!.split('/').pop()!;
  return { ...invoice, notificationToken };
}

const stored = (ref: string): StoredInvoice => deps.invoices.items.get(ref)!;

describe('the event of a status change', () => {
  it('should carry the status it left, the version it made, and the ersReference', () => {
    const entry = statusChangedEntry({ status: 'ISSUED', version: 4 }, { status: 'PAID', ersReference: '1'.repeat(25) }, Date.parse('2026-01-02T03:04:05.678Z'));
    expect(entry).toEqual({
      detailType: 'Invoice Status Changed',
      status: 'PAID',
      previousStatus: 'ISSUED',
      version: 5,
      ersReference: '1'.repeat(25),
      occurredAt: '2026-01-02T03:04:05.678Z',
    });
    // A later change keeps the payment's ersReference.
    expect(statusChangedEntry({ status: 'PAID', version: 5, ersReference: '1'.repeat(25) }, { status: 'CANCELED' }, 0).ersReference).toBe('1'.repeat(25));
  });

  it('should be published with the invoice reference, clientInvoiceId and total of the item', () => {
    const entry = statusChangedEntry({ status: 'ISSUED', version: 1 }, { status: 'CANCELED' }, 0);
    expect(eventOf({ invoiceReference: '1234567890123', clientInvoiceId: 'A-7', total: '50.00', currency: 'SEK' }, entry)).toEqual({
      detailType: 'Invoice Status Changed',
      detail: {
        invoiceReference: '1234567890123',
        clientInvoiceId: 'A-7',
        status: 'CANCELED',
        previousStatus: 'ISSUED',
        version: 2,
        total: { value: '50.00', currency: 'SEK' },
        occurredAt: '1970-01-01T00:00:00.000Z',
      },
    });
  });

  it('should count a refund in the refunded total only with this completion, in the invoice currency', () => {
    const invoice = {
      status: 'PAID' as const,
      version: 3,
      ersReference: '2'.repeat(25),
      currency: 'SEK',
      refunds: {
        a: { refundId: 'a', state: 'SUCCEEDED' as const, amount: '10.00', amountMinor: 1000, title: 't', createdAt: '1' },
        b: { refundId: 'b', state: 'PENDING' as const, amount: '5.50', amountMinor: 550, title: 't', createdAt: '2' },
        c: { refundId: 'c', state: 'UNKNOWN' as const, amount: '1.00', amountMinor: 100, title: 't', createdAt: '3' },
      },
    };
    const entry = refundCompletedEntry(invoice, 'b', '3'.repeat(25), 0);
    expect(entry).toMatchObject({ detailType: 'Refund Completed', status: 'PAID', previousStatus: 'PAID', version: 4, refundedTotal: '15.50', refund: { refundId: 'b', amount: '5.50', ersReference: '3'.repeat(25) } });
    expect(() => refundCompletedEntry(invoice, 'missing', '3'.repeat(25), 0)).toThrow();
  });
});

describe('the outbox', () => {
  it('should be taken by a second publisher only when it has events and the lease is over', () => {
    const entry = statusChangedEntry({ status: 'ISSUED', version: 1 }, { status: 'PAID' }, 0);
    expect(outboxClaimable({ outbox: [] }, 1000)).toBe(false);
    expect(outboxClaimable({}, 1000)).toBe(false);
    expect(outboxClaimable({ outbox: [entry] }, 1000)).toBe(true);
    expect(outboxClaimable({ outbox: [entry], outboxLeaseUntil: 1001 }, 1000)).toBe(false);
    expect(outboxClaimable({ outbox: [entry], outboxLeaseUntil: 1000 }, 1000)).toBe(true);
  });

  it('should keep versions not acknowledged, oldest first', () => {
    const a = statusChangedEntry({ status: 'ISSUED', version: 1 }, { status: 'RESERVED' }, 0);
    const b = statusChangedEntry({ status: 'RESERVED', version: 2 }, { status: 'PAID' }, 0);
    expect(pendingEntries({ outbox: [b, a] }).map((e) => e.version)).toEqual([2, 3]);
    expect(withoutVersions([a, b], [2])).toEqual([b]);
  });
});

describe('a status change', () => {
  it('should write its event with the change and publish it once, then leave the outbox empty', async () => {
    const invoice = await created();
    deps.seqr.statuses.set(invoice.invoiceReference, [PAID]);
    await handleNotification(deps, invoice.notificationToken, '', deps.log);
    expect(deps.events.of(invoice.invoiceReference)).toEqual(['Invoice Status Changed PAID@2']);
    expect(deps.events.published[0]!.detail).toMatchObject({ clientInvoiceId: 'A-7', previousStatus: 'ISSUED', total: { value: '50.00', currency: 'SEK' }, ersReference: PAID.ersReference });
    expect(stored(invoice.invoiceReference).outbox).toEqual([]);
    // The writer told the store which version it had read, and took the lease.
    expect(deps.invoices.expectedVersions).toEqual([1]);
    expect(stored(invoice.invoiceReference).outboxLeaseUntil).toBe(deps.clock.now() + deps.events.leaseMs);
  });

  it('should publish one event for repeated notifications', async () => {
    const invoice = await created();
    deps.seqr.statuses.set(invoice.invoiceReference, [PAID]);
    for (let i = 0; i < 5; i++) await handleNotification(deps, invoice.notificationToken, '', deps.log);
    expect(deps.events.of(invoice.invoiceReference)).toEqual(['Invoice Status Changed PAID@2']);
  });

  it('should keep the event when the bus refuses it, and the next notification after the lease publishes it', async () => {
    const invoice = await created();
    deps.seqr.statuses.set(invoice.invoiceReference, [PAID]);
    deps.events.faults.fail('publish', 1);
    await handleNotification(deps, invoice.notificationToken, '', deps.log);
    expect(deps.events.published).toEqual([]);
    expect(pendingEntries(stored(invoice.invoiceReference)).map((e) => e.version)).toEqual([2]);
    expect(deps.lines.some((l) => l.message === 'events not published; kept in the outbox')).toBe(true);

    // Inside the writer's lease, a repeated notification leaves it alone.
    await handleNotification(deps, invoice.notificationToken, '', deps.log);
    expect(deps.events.published).toEqual([]);
    deps.clock.advance(LEASE);
    await handleNotification(deps, invoice.notificationToken, '', deps.log);
    expect(deps.events.of(invoice.invoiceReference)).toEqual(['Invoice Status Changed PAID@2']);
    expect(stored(invoice.invoiceReference).outbox).toEqual([]);
  });

  it('should publish what an earlier change left together with its own, in version order', async () => {
    const invoice = await created();
    deps.events.faults.fail('publish', 1);
    deps.seqr.statuses.set(invoice.invoiceReference, [{ status: 'RESERVED', version: 2 }]);
    deps.clock.advance(1_000);
    await pollStatus(deps, invoice.invoiceReference, invoice.subscribeToken, deps.log);
    expect(deps.events.published).toEqual([]);
    deps.seqr.statuses.set(invoice.invoiceReference, [{ ...PAID, version: 3 }]);
    await handleNotification(deps, invoice.notificationToken, '', deps.log);
    expect(deps.events.of(invoice.invoiceReference)).toEqual(['Invoice Status Changed RESERVED@2', 'Invoice Status Changed PAID@3']);
    expect(deps.events.published[1]!.detail.previousStatus).toBe('RESERVED');
  });

  it('should be drained by the status poll and by a subscribe, each only after the lease', async () => {
    const invoice = await created();
    deps.seqr.statuses.set(invoice.invoiceReference, [PAID]);
    deps.events.faults.fail('publish', 1);
    await handleNotification(deps, invoice.notificationToken, '', deps.log);
    await pollStatus(deps, invoice.invoiceReference, invoice.subscribeToken, deps.log);
    expect(deps.events.published).toEqual([]);
    deps.clock.advance(LEASE);
    await connect(deps, invoice.invoiceReference, invoice.subscribeToken, 'c1', deps.log);
    await subscribe(deps, 'c1', deps.log);
    expect(deps.events.of(invoice.invoiceReference)).toEqual(['Invoice Status Changed PAID@2']);
    await pollStatus(deps, invoice.invoiceReference, invoice.subscribeToken, deps.log);
    expect(deps.events.published).toHaveLength(1);
  });

  it('should be drained by a retried shop operation', async () => {
    const invoice = await created();
    deps.events.faults.fail('publish', 1);
    await cancelInvoice(deps, invoice.invoiceReference, deps.log);
    expect(deps.events.published).toEqual([]);
    deps.clock.advance(LEASE);
    await cancelInvoice(deps, invoice.invoiceReference, deps.log);
    expect(deps.events.of(invoice.invoiceReference)).toEqual(['Invoice Status Changed CANCELED@2']);
    expect(deps.seqr.count('cancelInvoice')).toBe(1);
  });

  it('should publish again, and say so, when the removal after a publish failed (consumers deduplicate by version)', async () => {
    const invoice = await created();
    deps.seqr.statuses.set(invoice.invoiceReference, [PAID]);
    deps.invoices.faults.fail('acknowledgeEvents', 1);
    await handleNotification(deps, invoice.notificationToken, '', deps.log);
    expect(deps.lines.some((l) => l.message === 'published events not removed from the outbox')).toBe(true);
    deps.clock.advance(LEASE);
    await pollStatus(deps, invoice.invoiceReference, invoice.subscribeToken, deps.log);
    expect(deps.events.of(invoice.invoiceReference)).toEqual(['Invoice Status Changed PAID@2', 'Invoice Status Changed PAID@2']);
    expect(stored(invoice.invoiceReference).outbox).toEqual([]);
  });

  it('should never fail the caller when the outbox cannot be read or taken', async () => {
    const invoice = await created();
    deps.events.faults.fail('publish', 1);
    await cancelInvoice(deps, invoice.invoiceReference, deps.log);
    deps.clock.advance(LEASE);
    deps.invoices.faults.fail('claimOutbox', 1);
    expect(await drainOutbox(deps, stored(invoice.invoiceReference))).toBe(false);
    expect(await drainOutbox(deps, invoice.invoiceReference)).toBe(true);
    expect(deps.events.published).toHaveLength(1);
    expect(await publishOutbox(deps, stored(invoice.invoiceReference))).toBe(true);
  });

  it('should write no event when the rule refuses the change', async () => {
    const invoice = await created();
    const current = stored(invoice.invoiceReference);
    const same = await recordStatus(deps, current, { status: 'ISSUED', seqrVersion: 1 }, deps.log);
    expect(same.version).toBe(1);
    expect(stored(invoice.invoiceReference).outbox ?? []).toEqual([]);
    expect(deps.events.published).toEqual([]);
  });
});
