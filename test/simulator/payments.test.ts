import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../local/seqr-simulator/index.js';
import { control, eventually, invoice, OTHER_SHOP, pay, Seqr, sleep, startReceiver, startSimulator, terminalContext } from './helpers.js';

const WINDOW_MS = 500;

describe('payments', () => {
  let sim: RunningSimulator;
  let seqr: Seqr;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const logLines: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ confirmationWindowMs: WINDOW_MS, log: (line) => logLines.push(line) });
    seqr = await Seqr.connect(sim);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await sim.stop();
    await receiver.close();
  });
  afterEach(() => {
    receiver.received.length = 0;
  });

  const refund = (ersReference: string, value: string, currency = 'SEK', context = terminalContext()) =>
    seqr.call('refundPayment', {
      context,
      ersReference,
      invoice: { title: 'Refund', cashierId: 'web', totalAmount: { currency, value } },
    });
  const receipt = (ersReference: string, context = terminalContext()) =>
    seqr.call('submitPaymentReceipt', {
      context,
      ersReference,
      receiptDocument: { mimeType: 'text/html', receiptData: Buffer.from('<p>Thanks</p>').toString('base64'), receiptType: 'PAYMENT_RECEIPT' },
    });

  /** Issued, paid and confirmed; returns the reference and the payment's ersReference. */
  async function paidInvoice(total = '100.00') {
    const ref = await seqr.issue(invoice({ total }));
    await pay(sim, ref);
    const status = await seqr.status(ref);
    return { ref, ersReference: status.ersReference as string, paymentReference: status.receipt.paymentReference as string };
  }

  describe('notification', () => {
    it('POSTs an empty body to the notificationUrl when the invoice is PAID, before pay answers', async () => {
      const ref = await seqr.issue(invoice({ notificationUrl: receiver.url('/seqr/notify/order-1?token=abc') }));
      const paid = await pay(sim, ref);
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]).toMatchObject({ method: 'POST', url: '/seqr/notify/order-1?token=abc', body: '' });
      expect(receiver.received[0]!.headers['content-length']).toBe('0');
      expect(paid.notificationsSent).toBe(1);
    });

    it('sends no notification for an invoice that is only RESERVED', async () => {
      const ref = await seqr.issue(invoice({ paymentMode: 'RESERVATION_DESIRED', notificationUrl: receiver.url('/n') }));
      await pay(sim, ref);
      expect(receiver.received).toHaveLength(0);
    });

    it('logs a notification that cannot be delivered and still completes the payment', async () => {
      const ref = await seqr.issue(invoice({ notificationUrl: 'http://127.0.0.1:1/unreachable' }));
      const paid = await pay(sim, ref);
      expect(paid).toMatchObject({ status: 'PAID', notificationsSent: 0, notificationFailures: 1 });
      expect(logLines.some((line) => line.includes('notification failed') && line.includes(ref))).toBe(true);
    });

    it('answers pay at once with ?wait=false and delivers the notification afterwards', async () => {
      const ref = await seqr.issue(invoice({ notificationUrl: receiver.url('/late') }));
      const answer = await control(sim, 'POST', `/simulator/invoices/${ref}/pay?wait=false`);
      expect(answer.json.status).toBe('PAID');
      await eventually(() => receiver.received.length === 1);
    });
  });

  describe('confirmation window', () => {
    it('reverses a PAID payment that no getPaymentStatus confirms within the window (CANCELED by default)', async () => {
      const ref = await seqr.issue();
      const paidAt = Date.now();
      await pay(sim, ref);
      const shown = await eventually(async () => {
        const view = (await control(sim, 'GET', `/simulator/invoices/${ref}`)).json;
        return view.reversed ? view : undefined;
      });
      expect(Date.now() - paidAt).toBeGreaterThanOrEqual(WINDOW_MS - 20);
      expect(shown).toMatchObject({ status: 'CANCELED', version: 3, reversed: true, confirmed: false });
      expect(await seqr.status(ref)).toMatchObject({ status: 'CANCELED', version: 3 });
    });

    it('never reverses a payment confirmed by a PAID getPaymentStatus', async () => {
      const ref = await seqr.issue();
      await pay(sim, ref);
      expect((await seqr.status(ref)).status).toBe('PAID');
      await sleep(WINDOW_MS * 2);
      const shown = (await control(sim, 'GET', `/simulator/invoices/${ref}`)).json;
      expect(shown).toMatchObject({ status: 'PAID', version: 2, confirmed: true, reversed: false });
      expect(shown.paidAt).toMatch(/^\d{4}-/);
    });

    it("does not count another terminal's getPaymentStatus as a confirmation", async () => {
      const ref = await seqr.issue();
      await pay(sim, ref);
      expect((await seqr.status(ref, terminalContext(OTHER_SHOP))).resultCode).toBe(54);
      await eventually(async () => (await control(sim, 'GET', `/simulator/invoices/${ref}`)).json.reversed);
    });

    it('reverses to FAILED when configured so', async () => {
      const failing = await startSimulator({ confirmationWindowMs: 100, reversalStatus: 'FAILED' });
      try {
        const client = await Seqr.connect(failing);
        const ref = await client.issue();
        await pay(failing, ref);
        await eventually(() => failing.invoice(ref)?.reversed);
        expect(failing.invoice(ref)).toMatchObject({ status: 'FAILED', reversed: true });
        expect((await client.status(ref)).status).toBe('FAILED');
      } finally {
        await failing.stop();
      }
    });
  });

  describe('refundPayment', () => {
    it('refunds part of a payment and returns a new 25-digit ersReference', async () => {
      const { ersReference, ref } = await paidInvoice('100.00');
      const answer = await refund(ersReference, '30.00');
      expect(answer.resultCode).toBe(0);
      expect(answer.ersReference).toMatch(/^\d{25}$/);
      expect(answer.ersReference).not.toBe(ersReference);
      expect((await control(sim, 'GET', `/simulator/invoices/${ref}`)).json.refundedAmount).toBe('30.00');
    });

    it('allows partial refunds up to the exact original amount, then answers 98', async () => {
      const { ersReference } = await paidInvoice('0.30');
      expect((await refund(ersReference, '0.10')).resultCode).toBe(0);
      expect((await refund(ersReference, '0.20')).resultCode).toBe(0);
      const over = await refund(ersReference, '0.01');
      expect(over).toMatchObject({ resultCode: 98, resultDescription: 'SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION' });
    });

    it('answers 98 for a single refund larger than the payment', async () => {
      const { ersReference } = await paidInvoice('10.00');
      expect((await refund(ersReference, '10.01')).resultCode).toBe(98);
    });

    it("accepts the receipt's paymentReference in place of the ersReference", async () => {
      const { paymentReference } = await paidInvoice('10.00');
      expect((await refund(paymentReference, '10.00')).resultCode).toBe(0);
    });

    it("answers 23 INVALID_ERS_REFERENCE for an unknown ersReference or another terminal's payment", async () => {
      const { ersReference } = await paidInvoice('10.00');
      expect(await refund('1234567890123456789012345', '1.00')).toMatchObject({ resultCode: 23, resultDescription: 'INVALID_ERS_REFERENCE' });
      expect((await refund(ersReference, '1.00', 'SEK', terminalContext(OTHER_SHOP))).resultCode).toBe(23);
    });

    it('answers 48 PAYMENT_IN_PROGRESS for a PAID payment no getPaymentStatus has confirmed yet, and refunds it once confirmed', async () => {
      const ref = await seqr.issue(invoice({ total: '10.00' }));
      const paid = await pay(sim, ref);
      const early = await refund(paid.ersReference, '1.00');
      expect(early).toMatchObject({ resultCode: 48, resultDescription: 'PAYMENT_IN_PROGRESS' });
      expect((await refund(paid.paymentReference, '1.00')).resultCode).toBe(48);
      expect((await control(sim, 'GET', `/simulator/invoices/${ref}`)).json).toMatchObject({ refundedAmount: '0.00', refunds: [] });
      expect((await seqr.status(ref)).status).toBe('PAID');
      expect((await refund(paid.ersReference, '1.00')).resultCode).toBe(0);
    });

    it('answers 23 for a payment reversed for want of confirmation', async () => {
      const ref = await seqr.issue(invoice({ total: '10.00' }));
      const paid = await pay(sim, ref);
      await eventually(async () => (await control(sim, 'GET', `/simulator/invoices/${ref}`)).json.reversed);
      expect((await refund(paid.ersReference, '1.00')).resultCode).toBe(23);
    });

    it('answers 49 for a refund in another currency than the payment', async () => {
      const { ersReference } = await paidInvoice('10.00');
      expect((await refund(ersReference, '1.00', 'EUR')).resultCode).toBe(49);
    });
  });

  describe('submitPaymentReceipt', () => {
    it('accepts a receipt for a payment', async () => {
      const { ersReference, ref } = await paidInvoice();
      expect(await receipt(ersReference)).toMatchObject({ resultCode: 0, resultDescription: 'SUCCESS' });
      expect((await control(sim, 'GET', `/simulator/invoices/${ref}`)).json.receiptsSubmitted).toBe(1);
    });

    it('answers 23 INVALID_ERS_REFERENCE for an unknown ersReference', async () => {
      expect((await receipt('9999999999999999999999999')).resultCode).toBe(23);
    });

    it('answers 23 INVALID_ERS_REFERENCE for a payment that was reversed (not PAID any more)', async () => {
      const ref = await seqr.issue();
      const paid = await pay(sim, ref);
      await eventually(async () => (await control(sim, 'GET', `/simulator/invoices/${ref}`)).json.reversed);
      expect(await receipt(paid.ersReference)).toMatchObject({ resultCode: 23, resultDescription: 'INVALID_ERS_REFERENCE' });
      expect((await receipt(paid.paymentReference)).resultCode).toBe(23);
      expect((await control(sim, 'GET', `/simulator/invoices/${ref}`)).json.receiptsSubmitted).toBe(0);
    });

    it('accepts a receipt for a PAID payment before any getPaymentStatus, without confirming it', async () => {
      const ref = await seqr.issue();
      const paid = await pay(sim, ref);
      expect((await receipt(paid.ersReference)).resultCode).toBe(0);
      expect((await control(sim, 'GET', `/simulator/invoices/${ref}`)).json).toMatchObject({ status: 'PAID', confirmed: false, receiptsSubmitted: 1 });
    });
  });
});

describe('notification body option', () => {
  it('POSTs invoiceReference=<ref> as application/x-www-form-urlencoded when configured with form', async () => {
    const sim = await startSimulator({ notificationBody: 'form' });
    const receiver = await startReceiver();
    try {
      const seqr = await Seqr.connect(sim);
      const ref = await seqr.issue(invoice({ notificationUrl: receiver.url('/notify') }));
      await pay(sim, ref);
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(receiver.received[0]!.body).toBe(`invoiceReference=${ref}`);
    } finally {
      await sim.stop();
      await receiver.close();
    }
  });
});
