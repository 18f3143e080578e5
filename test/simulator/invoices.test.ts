import { describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../local/seqr-simulator/index.js';
import { control, invoice, OTHER_SHOP, pay, Seqr, startSimulator, terminalContext, useSimulator } from './helpers.js';

describe('invoices', () => {
  let sim: RunningSimulator;
  let seqr: Seqr;
  useSimulator((running, client) => ((sim = running), (seqr = client)));

  const cancel = (invoiceReference: string, context = terminalContext()) => seqr.call('cancelInvoice', { context, invoiceReference });
  const update = (invoiceReference: string, inv = invoice(), context = terminalContext()) =>
    seqr.call('updateInvoice', { context, invoiceReference, invoice: inv });
  const commit = (invoiceReference: string) => seqr.call('commitReservation', { context: terminalContext(), invoiceReference });

  describe('sendInvoice', () => {
    it('issues a 13–17 digit invoiceReference and the HTTP://SEQR.SE/R<ref> QR code', async () => {
      const answer = await seqr.sendInvoice(invoice({ rows: [{ total: '60.00' }, { total: '40.00' }] }));
      expect(answer.resultCode).toBe(0);
      expect(answer.resultDescription).toBe('SUCCESS');
      expect(answer.invoiceReference).toMatch(/^\d{13,17}$/);
      expect(answer.invoiceQRCode).toBe(`HTTP://SEQR.SE/R${answer.invoiceReference}`);
    });

    it('issues a new reference for every invoice', async () => {
      const refs = await Promise.all(Array.from({ length: 20 }, () => seqr.issue()));
      expect(new Set(refs).size).toBe(20);
    });

    it('accepts rows 0.10 + 0.20 against a total of 0.30 (no float arithmetic)', async () => {
      const answer = await seqr.sendInvoice(invoice({ total: '0.30', rows: [{ total: '0.10' }, { total: '0.20' }] }));
      expect(answer.resultCode).toBe(0);
    });

    it('rejects rows 0.10 + 0.20 against a total of 0.30000000000000004 with 49', async () => {
      const answer = await seqr.sendInvoice(invoice({ total: '0.30000000000000004', rows: [{ total: '0.10' }, { total: '0.20' }] }));
      expect(answer.resultCode).toBe(49);
    });

    it('compares sums by value, so 0.3 equals 0.30, and allows negative (discount) rows', async () => {
      expect((await seqr.sendInvoice(invoice({ total: '0.3', rows: [{ total: '0.10' }, { total: '0.20' }] }))).resultCode).toBe(0);
      expect((await seqr.sendInvoice(invoice({ total: '90.00', rows: [{ total: '100.00' }, { total: '-10.00' }] }))).resultCode).toBe(0);
    });

    it('answers 49 INVALID_INVOICE_DATA when the total is not the exact sum of the rows', async () => {
      const answer = await seqr.sendInvoice(invoice({ total: '100.00', rows: [{ total: '60.00' }, { total: '39.99' }] }));
      expect(answer).toMatchObject({ resultCode: 49, resultDescription: 'INVALID_INVOICE_DATA' });
    });

    it('answers 49 for an unknown or malformed currency', async () => {
      expect((await seqr.sendInvoice(invoice({ currency: 'XYZ' }))).resultCode).toBe(49);
      expect((await seqr.sendInvoice(invoice({ currency: 'sek' }))).resultCode).toBe(49);
      expect((await seqr.sendInvoice(invoice({ currency: 'SEKK' }))).resultCode).toBe(49);
      expect((await seqr.sendInvoice(invoice({ currency: 'EUR' }))).resultCode).toBe(0);
    });

    it('answers 49 when a row is in another currency than the total', async () => {
      const answer = await seqr.sendInvoice(invoice({ total: '10.00', rows: [{ total: '10.00', currency: 'EUR' }] }));
      expect(answer.resultCode).toBe(49);
    });

    it('answers 49 for a missing title or a missing totalAmount', async () => {
      expect((await seqr.sendInvoice(invoice({ title: '' }))).resultCode).toBe(49);
      const { totalAmount: _dropped, ...withoutTotal } = invoice();
      expect((await seqr.sendInvoice(withoutTotal as ReturnType<typeof invoice>)).resultCode).toBe(49);
    });

    it('answers 49 for an amount that is not a decimal', async () => {
      expect((await seqr.sendInvoice(invoice({ total: '1e3' }))).resultCode).toBe(49);
    });

    it('answers 64 INVALID_NOTIFICATION_URL for a notificationUrl that is not http(s)', async () => {
      const ftp = await seqr.sendInvoice(invoice({ notificationUrl: 'ftp://shop.example/notify' }));
      const junk = await seqr.sendInvoice(invoice({ notificationUrl: 'not a url' }));
      expect(ftp).toMatchObject({ resultCode: 64, resultDescription: 'INVALID_NOTIFICATION_URL' });
      expect(junk.resultCode).toBe(64);
      expect((await seqr.sendInvoice(invoice({ notificationUrl: 'https://shop.example/notify?order=1' }))).resultCode).toBe(0);
    });
  });

  describe('getPaymentStatus', () => {
    it('reports ISSUED version 1 for a new invoice, with no ersReference or receipt', async () => {
      const ref = await seqr.issue();
      const answer = await seqr.status(ref);
      expect(answer).toMatchObject({ resultCode: 0, status: 'ISSUED', version: 1 });
      expect(answer.ersReference).toBeUndefined();
      expect(answer.receipt).toBeUndefined();
    });

    it('reports PAID with a 25-digit ersReference and the receipt, version bumped', async () => {
      const ref = await seqr.issue(invoice({ total: '0.30', rows: [{ total: '0.10' }, { total: '0.20' }], clientInvoiceId: 'order-42' }));
      await pay(sim, ref);
      const answer = await seqr.status(ref);
      expect(answer).toMatchObject({ resultCode: 0, status: 'PAID', version: 2 });
      expect(answer.ersReference).toMatch(/^\d{25}$/);
      expect(answer.receipt).toMatchObject({
        terminalId: 'local-webshop',
        clientInvoiceId: 'order-42',
        invoiceReference: ref,
        payerTerminalId: expect.any(String),
        receiverName: expect.any(String),
      });
      expect(answer.receipt.paymentReference).toMatch(/^\d{25}$/);
      expect(answer.receipt.paymentReference).not.toBe(answer.ersReference);
      expect(answer.receipt.paymentDate).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(answer.receipt.invoice.totalAmount).toEqual({ currency: 'SEK', value: '0.30' });
    });

    it('answers 54 INVALID_INVOICE_REFERENCE for an unknown reference', async () => {
      const answer = await seqr.status('1234567890123');
      expect(answer).toMatchObject({ resultCode: 54, resultDescription: 'INVALID_INVOICE_REFERENCE' });
    });

    it("answers 54 for another terminal's invoice", async () => {
      const ref = await seqr.issue();
      const answer = await seqr.status(ref, terminalContext(OTHER_SHOP));
      expect(answer.resultCode).toBe(54);
    });
  });

  describe('cancelInvoice', () => {
    it('cancels an ISSUED invoice: status CANCELED, version bumped', async () => {
      const ref = await seqr.issue();
      expect((await cancel(ref)).resultCode).toBe(0);
      expect(await seqr.status(ref)).toMatchObject({ status: 'CANCELED', version: 2 });
    });

    it('answers 95 INVOICE_ALREADY_CANCELED for a canceled invoice', async () => {
      const ref = await seqr.issue();
      await cancel(ref);
      expect(await cancel(ref)).toMatchObject({ resultCode: 95, resultDescription: 'INVOICE_ALREADY_CANCELED' });
    });

    it('answers 50 CANNOT_CANCEL_PAID_INVOICE for a paid invoice', async () => {
      const ref = await seqr.issue();
      await pay(sim, ref);
      expect(await cancel(ref)).toMatchObject({ resultCode: 50, resultDescription: 'CANNOT_CANCEL_PAID_INVOICE' });
    });

    it('answers 51 CANNOT_CANCEL_INVOICE_IN_PROGRESS once the invoice is scanned in the app', async () => {
      const ref = await seqr.issue();
      expect((await control(sim, 'POST', `/simulator/invoices/${ref}/scan`)).status).toBe(200);
      expect(await cancel(ref)).toMatchObject({ resultCode: 51, resultDescription: 'CANNOT_CANCEL_INVOICE_IN_PROGRESS' });
      expect((await seqr.status(ref)).status).toBe('ISSUED');
    });

    it('answers 51 for a RESERVED invoice', async () => {
      const ref = await seqr.issue(invoice({ paymentMode: 'RESERVATION_DESIRED' }));
      await pay(sim, ref);
      expect((await cancel(ref)).resultCode).toBe(51);
    });

    it("answers 54 for unknown references and other terminals' invoices", async () => {
      const ref = await seqr.issue();
      expect((await cancel('99999999999999')).resultCode).toBe(54);
      expect((await cancel(ref, terminalContext(OTHER_SHOP))).resultCode).toBe(54);
    });
  });

  describe('updateInvoice', () => {
    it('updates an ISSUED invoice without changing its status or version', async () => {
      const ref = await seqr.issue(invoice({ total: '10.00' }));
      expect((await update(ref, invoice({ total: '12.50', title: 'Order 1001 (updated)' }))).resultCode).toBe(0);
      await pay(sim, ref);
      const answer = await seqr.status(ref);
      expect(answer.receipt.invoice).toMatchObject({ title: 'Order 1001 (updated)', totalAmount: { currency: 'SEK', value: '12.50' } });
    });

    it('answers 54 for an unknown invoice', async () => {
      expect((await update('12345678901234')).resultCode).toBe(54);
    });

    it('answers 48 PAYMENT_IN_PROGRESS once the invoice is scanned', async () => {
      const ref = await seqr.issue();
      await control(sim, 'POST', `/simulator/invoices/${ref}/scan`);
      expect(await update(ref)).toMatchObject({ resultCode: 48, resultDescription: 'PAYMENT_IN_PROGRESS' });
    });

    it('answers 49 and 64 for invalid invoice data', async () => {
      const ref = await seqr.issue();
      expect((await update(ref, invoice({ currency: 'ABC' }))).resultCode).toBe(49);
      expect((await update(ref, invoice({ notificationUrl: 'mailto:shop@example.com' }))).resultCode).toBe(64);
    });

    it('moves PENDING_ISSUER_ACKNOWLEDGE to PAID (loyalty flow)', async () => {
      const ref = await seqr.issue(invoice({ acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT' }));
      const paid = await control(sim, 'POST', `/simulator/invoices/${ref}/pay`);
      expect(paid.json.status).toBe('PENDING_ISSUER_ACKNOWLEDGE');
      expect(await seqr.status(ref)).toMatchObject({ status: 'PENDING_ISSUER_ACKNOWLEDGE', version: 2 });
      expect((await update(ref)).resultCode).toBe(0);
      const answer = await seqr.status(ref);
      expect(answer).toMatchObject({ status: 'PAID', version: 3 });
      expect(answer.ersReference).toMatch(/^\d{25}$/);
    });
  });

  describe('reservations', () => {
    it('goes ISSUED → RESERVED on pay and RESERVED → PAID on commitReservation', async () => {
      const ref = await seqr.issue(invoice({ paymentMode: 'RESERVATION_REQUIRED' }));
      expect((await pay(sim, ref)).status).toBe('RESERVED');
      expect(await seqr.status(ref)).toMatchObject({ status: 'RESERVED', version: 2 });
      expect((await commit(ref)).resultCode).toBe(0);
      expect(await seqr.status(ref)).toMatchObject({ status: 'PAID', version: 3 });
    });

    it('answers 96 INVOICE_STATE_NOT_RESERVED when committing an invoice that is not RESERVED', async () => {
      const issued = await seqr.issue();
      expect(await commit(issued)).toMatchObject({ resultCode: 96, resultDescription: 'INVOICE_STATE_NOT_RESERVED' });
      const paid = await seqr.issue();
      await pay(sim, paid);
      expect((await commit(paid)).resultCode).toBe(96);
    });
  });

  describe("the shopper's control API", () => {
    it('shows an invoice as JSON', async () => {
      const ref = await seqr.issue();
      const shown = await control(sim, 'GET', `/simulator/invoices/${ref}`);
      expect(shown.status).toBe(200);
      expect(shown.json).toMatchObject({
        invoiceReference: ref,
        terminalId: 'local-webshop',
        status: 'ISSUED',
        version: 1,
        confirmed: false,
        reversed: false,
        notificationsSent: 0,
      });
      expect(shown.json.ersReference).toBeUndefined();
    });

    it('lets the user cancel in the app and makes a payment fail', async () => {
      const canceled = await seqr.issue();
      const failed = await seqr.issue();
      expect((await control(sim, 'POST', `/simulator/invoices/${canceled}/cancel`)).json.status).toBe('CANCELED');
      expect((await control(sim, 'POST', `/simulator/invoices/${failed}/fail`)).json.status).toBe('FAILED');
      expect(await seqr.status(canceled)).toMatchObject({ status: 'CANCELED', version: 2 });
      expect(await seqr.status(failed)).toMatchObject({ status: 'FAILED', version: 2 });
    });

    it('expires an ISSUED invoice (later servers\' EXPIRED): version bumped, getPaymentStatus answers EXPIRED', async () => {
      const ref = await seqr.issue();
      await control(sim, 'POST', `/simulator/invoices/${ref}/scan`);
      const expired = await control(sim, 'POST', `/simulator/invoices/${ref}/expire`);
      expect(expired.status).toBe(200);
      expect(expired.json).toMatchObject({ invoiceReference: ref, status: 'EXPIRED', version: 2, scanned: false });
      const status = await seqr.status(ref);
      expect(status).toMatchObject({ resultCode: 0, status: 'EXPIRED', version: 2 });
      expect(status.ersReference).toBeUndefined();
      expect(status.receipt).toBeUndefined();
      // Nothing left to pay, cancel, update or commit.
      expect((await control(sim, 'POST', `/simulator/invoices/${ref}/pay`)).status).toBe(409);
      expect((await cancel(ref)).resultCode).toBe(10);
      expect((await update(ref)).resultCode).toBe(10);
      expect((await commit(ref)).resultCode).toBe(96);
      expect(await seqr.status(ref)).toMatchObject({ status: 'EXPIRED', version: 2 });
    });

    it('expires only ISSUED invoices (409 otherwise) and answers 404 for an unknown one', async () => {
      const paid = await seqr.issue();
      await pay(sim, paid);
      const refused = await control(sim, 'POST', `/simulator/invoices/${paid}/expire`);
      expect(refused.status).toBe(409);
      expect(refused.json).toMatchObject({ invoiceReference: paid, status: 'PAID' });
      const expired = await seqr.issue();
      await control(sim, 'POST', `/simulator/invoices/${expired}/expire`);
      expect((await control(sim, 'POST', `/simulator/invoices/${expired}/expire`)).status).toBe(409);
      expect((await control(sim, 'POST', '/simulator/invoices/123/expire')).status).toBe(404);
      expect((await control(sim, 'GET', `/simulator/invoices/${expired}/expire`)).status).toBe(405);
    });

    it('answers 404 JSON for an unknown invoice', async () => {
      for (const [method, path] of [
        ['GET', '/simulator/invoices/123'],
        ['POST', '/simulator/invoices/123/pay'],
        ['POST', '/simulator/invoices/123/scan'],
      ] as const) {
        const answer = await control(sim, method, path);
        expect(answer.status).toBe(404);
        expect(answer.json.error).toBeTypeOf('string');
      }
    });

    it('answers 409 JSON for a transition the status does not allow', async () => {
      const ref = await seqr.issue();
      await control(sim, 'POST', `/simulator/invoices/${ref}/cancel`);
      const answer = await control(sim, 'POST', `/simulator/invoices/${ref}/pay`);
      expect(answer.status).toBe(409);
      expect(answer.json).toMatchObject({ invoiceReference: ref, status: 'CANCELED' });
      expect((await control(sim, 'POST', `/simulator/invoices/${ref}/scan`)).status).toBe(409);
    });
  });
});
