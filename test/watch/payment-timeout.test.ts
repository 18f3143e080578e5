// Intent: an invoice nobody pays is cancelled at its payment timeout — at SEQR,
// in the store, and on its socket — and a payment that arrives while that
// cancel is on its way ends PAID (confirmed, not reversed), never CANCELED.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYMENT_TIMEOUT_CANCEL_MESSAGE } from '../../src/core/watch/messages.js';
import {
  createInvoice,
  eventually,
  seqrCalls,
  simulator,
  simulatorInvoice,
  startTestStack,
  storedInvoice,
  subscribe,
  type LocalStack,
} from '../support/local-stack.js';

const TIMEOUT_MS = 3_000;
let stack: LocalStack & { logs: string[] };
beforeAll(async () => {
  stack = await startTestStack({
    watch: true,
    simulator: { confirmationWindowMs: 20_000 },
    env: { PAYMENT_TIMEOUT_MS: String(TIMEOUT_MS), WATCH_INTERVAL_MS: '1000' },
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const statuses = (messages: Record<string, unknown>[]) => messages.filter((m) => m.type === 'invoice.status').map((m) => m.status);

describe('the payment timeout', () => {
  it('should cancel an unpaid invoice at SEQR and in the store, and tell its socket CANCELED', async () => {
    const createdAt = Date.now();
    const invoice = await createInvoice(stack);
    const socket = await subscribe(invoice);
    try {
      const canceled = await socket.next((m) => m.status === 'CANCELED', 12_000);
      expect(Date.now() - createdAt).toBeGreaterThanOrEqual(TIMEOUT_MS);
      expect(canceled).toMatchObject({ type: 'invoice.status', invoiceReference: invoice.invoiceReference, version: 2 });
      expect(statuses(socket.messages)).toEqual(['ISSUED', 'CANCELED']);
    } finally {
      await socket.close();
    }
    expect((await storedInvoice(stack, invoice.invoiceReference)).body.status).toBe('CANCELED');
    expect((await simulatorInvoice(stack, invoice.invoiceReference)).status).toBe('CANCELED');
    const cancels = (await seqrCalls(stack, 'cancelInvoice')).filter((c) => c.invoiceReference === invoice.invoiceReference);
    expect(cancels).toEqual([expect.objectContaining({ resultCode: 0 })]);
    // Published once: Invoice Status Changed, ISSUED → CANCELED, version 2.
    const published = await eventually(async () => {
      const found = stack.bus.events.filter((e) => e.detail.invoiceReference === invoice.invoiceReference);
      return found.length > 0 ? found : undefined;
    }, 5_000);
    expect(published?.map((e) => [e['detail-type'], e.detail.status, e.detail.previousStatus, e.detail.version])).toEqual([['Invoice Status Changed', 'CANCELED', 'ISSUED', 2]]);
    // Watched until then: SEQR was asked about it while it was open.
    expect((await seqrCalls(stack, 'getPaymentStatus')).filter((c) => c.invoiceReference === invoice.invoiceReference).length).toBeGreaterThanOrEqual(1);
    expect(await eventually(async () => stack.queues!.pending('watch') === 0, 5_000)).toBe(true);
  }, 30_000);

  it('should end PAID, never CANCELED, when the payment arrives while the cancel is on its way', async () => {
    // The cancel takes 2 s to reach SEQR's decision; the payment's notification is lost, so only the cancel's answer (50) tells us.
    expect((await simulator(stack, 'POST', '/simulator/faults', { kind: 'latency', ms: 2_000, operation: 'cancelInvoice', count: 1 })).status).toBe(201);
    expect((await simulator(stack, 'POST', '/simulator/faults', { kind: 'notification', mode: 'drop', count: 1 })).status).toBe(201);
    const invoice = await createInvoice(stack);
    const socket = await subscribe(invoice);
    try {
      const cancelling = await eventually(
        async () => stack.logs.find((line) => line.includes(PAYMENT_TIMEOUT_CANCEL_MESSAGE) && line.includes(invoice.invoiceReference)),
        10_000,
        20,
      );
      expect(cancelling).toBeDefined();
      // The cancel is at SEQR now, held by the latency: the shopper pays.
      expect((await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`)).status).toBe(200);

      const paid = await socket.next((m) => m.status === 'PAID', 12_000);
      expect(paid).toMatchObject({ invoiceReference: invoice.invoiceReference, status: 'PAID' });
      expect(statuses(socket.messages)).not.toContain('CANCELED');
    } finally {
      await socket.close();
    }
    const cancels = (await seqrCalls(stack, 'cancelInvoice')).filter((c) => c.invoiceReference === invoice.invoiceReference);
    expect(cancels.map((c) => c.resultCode)).toEqual([50]);
    expect((await storedInvoice(stack, invoice.invoiceReference)).body.status).toBe('PAID');
    expect(await simulatorInvoice(stack, invoice.invoiceReference)).toMatchObject({ status: 'PAID', confirmed: true, reversed: false, notificationsSent: 0 });
    // The bus hears PAID, never CANCELED.
    const published = await eventually(async () => {
      const found = stack.bus.events.filter((e) => e.detail.invoiceReference === invoice.invoiceReference);
      return found.length > 0 ? found : undefined;
    }, 5_000);
    expect(published?.map((e) => e.detail.status)).toEqual(['PAID']);
    expect(await eventually(async () => stack.queues!.pending('watch') === 0, 5_000)).toBe(true);
  }, 30_000);
});
