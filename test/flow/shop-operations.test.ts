/**
 * The shop's operations on an invoice, on the local stack over real HTTP:
 * PUT /invoices/{ref} (updateInvoice), cancel, commit (reservations), receipt,
 * a retried POST /invoices with an Idempotency-Key, and discount rows priced
 * exactly. Each route's success path, the SEQR codes it can meet, bad input,
 * and the new status pushed to an open socket as a payment is.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ORDER,
  createInvoice,
  eventually,
  post,
  seqrCalls,
  simulator,
  simulatorInvoice,
  startTestStack,
  storedInvoice,
  subscribe,
  type LocalStack,
} from '../support/local-stack.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await simulator(stack, 'DELETE', '/simulator/faults');
  await simulator(stack, 'DELETE', '/simulator/calls');
});

function put(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${stack.httpUrl}${path}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.shopApiKey}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** POST without a body, as a shop calls cancel and commit. */
function postEmpty(path: string, headers: Record<string, string> = {}) {
  return fetch(`${stack.httpUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${stack.shopApiKey}`, ...headers } });
}

async function expectError(response: Response, status: number, code: string, field?: string) {
  const body = (await response.json()) as { error: { code: string; message: string; field?: string } };
  expect({ status: response.status, code: body.error.code }).toEqual({ status, code });
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  expect(body.error.message).toEqual(expect.any(String));
  if (field) expect(body.error.field).toBe(field);
}

async function calls(operation: string) {
  return (await seqrCalls(stack, operation)).map((call) => call.resultCode);
}

async function pay(ref: string) {
  expect((await simulator(stack, 'POST', `/simulator/invoices/${ref}/pay`)).status).toBe(200);
  await eventually(async () => (await storedInvoice(stack, ref)).body.status === 'PAID');
}

const UPDATED = {
  title: 'Order 1042 (changed)',
  currency: 'SEK',
  clientInvoiceId: '1042',
  footer: 'Thank you for shopping with us',
  cashierId: 'web-7',
  rows: [
    { description: 'Coffee', quantity: '3', unitPrice: '25.00', discount: '5.00' },
    { description: 'Shipping', quantity: '1', unitPrice: '39.00', kind: 'shipping' },
    { description: 'Welcome voucher', quantity: '1', unitPrice: '-20.00', kind: 'discount' },
  ],
};

describe('When an invoice has discount, shipping and fee rows', () => {
  it('should price them exactly, send itemDiscount, footer and cashierId to SEQR, and store them', async () => {
    const invoice = await createInvoice(stack, {
      ...ORDER,
      footer: 'Returns within 30 days',
      cashierId: 'web-1',
      rows: [
        { description: 'Tea', quantity: '3', unitPrice: '0.10' },
        { description: 'Mug', quantity: '2', unitPrice: '99.90', discount: '10.00' },
        { description: '10 % off', quantity: '1', unitPrice: '-18.98', kind: 'discount' },
        { description: 'Card fee', quantity: '1', unitPrice: '2.50', kind: 'fee' },
      ],
    });
    // 0.30 + (199.80 − 10.00) − 18.98 + 2.50, in öre: no float in between.
    expect(invoice.total).toEqual({ value: '173.62', currency: 'SEK' });
    const stored = await storedInvoice(stack, invoice.invoiceReference);
    expect(stored.body).toMatchObject({
      total: { value: '173.62', currency: 'SEK' },
      footer: 'Returns within 30 days',
      cashierId: 'web-1',
      rows: [
        { description: 'Tea', lineTotal: '0.30', unitPrice: '0.10' },
        { description: 'Mug', lineTotal: '189.80', discount: '10.00' },
        { description: '10 % off', lineTotal: '-18.98', unitPrice: '-18.98', kind: 'discount' },
        { description: 'Card fee', lineTotal: '2.50', kind: 'fee' },
      ],
    });
    // SEQR accepted the rows as summing exactly to the total (it answers 49 otherwise).
    expect(await simulatorInvoice(stack, invoice.invoiceReference)).toMatchObject({ status: 'ISSUED', totalAmount: { value: '173.62', currency: 'SEK' } });
  });

  const bad: [string, unknown[], string][] = [
    ['a discount row priced positive', [{ description: 'Off', quantity: '1', unitPrice: '5.00', kind: 'discount' }, ORDER.rows[0]], 'rows[0].unitPrice'],
    ['a negative shipping row', [ORDER.rows[0], { description: 'Ship', quantity: '1', unitPrice: '-5.00', kind: 'shipping' }], 'rows[1].unitPrice'],
    ['a discount larger than the row', [{ description: 'Mug', quantity: '1', unitPrice: '5.00', discount: '5.01' }, ORDER.rows[0]], 'rows[0].discount'],
    ['a discount on a negative row', [ORDER.rows[0], { description: 'Off', quantity: '1', unitPrice: '-5.00', discount: '1.00' }], 'rows[1].discount'],
    ['a discount with too many decimals', [{ ...ORDER.rows[0], discount: '1.001' }], 'rows[0].discount'],
    ['an unknown kind', [{ ...ORDER.rows[0], kind: 'gift' }], 'rows[0].kind'],
    ['discounts that bring the total to zero', [ORDER.rows[0], { description: 'All off', quantity: '1', unitPrice: '-50.00' }], 'rows'],
  ];
  for (const [name, rows, field] of bad) {
    it(`should refuse ${name} (400 naming ${field}) and call SEQR not at all`, async () => {
      await expectError(await post(stack, '/invoices', { ...ORDER, rows }), 400, 'invalid_field', field);
      expect(await seqrCalls(stack)).toHaveLength(0);
    });
  }
});

describe('When POST /invoices is retried with one Idempotency-Key', () => {
  it('should answer the first invoice again and make one sendInvoice', async () => {
    const key = randomUUID();
    const first = await post(stack, '/invoices', ORDER, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const created = await first.json();
    const again = await post(stack, '/invoices', ORDER, { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(created);
    expect(await calls('sendInvoice')).toEqual([0]);
  });

  it('should make one sendInvoice for two checkouts sent at once with one key', async () => {
    await simulator(stack, 'POST', '/simulator/faults', { kind: 'latency', ms: 300, operation: 'sendInvoice' });
    const key = randomUUID();
    const answers = await Promise.all([post(stack, '/invoices', ORDER, { 'idempotency-key': key }), post(stack, '/invoices', ORDER, { 'idempotency-key': key })]);
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { invoiceReference?: string; error?: { code: string } }[];
    const refs = new Set(bodies.filter((b) => b.invoiceReference).map((b) => b.invoiceReference));
    expect(refs.size).toBe(1);
    for (const body of bodies) if (!body.invoiceReference) expect(body.error?.code).toBe('request_in_progress');
    expect(await calls('sendInvoice')).toEqual([0]);
  });

  it('should refuse the key with another body (422 idempotency_key_reused) and make new invoices without a key', async () => {
    const key = randomUUID();
    expect((await post(stack, '/invoices', ORDER, { 'idempotency-key': key })).status).toBe(201);
    await expectError(await post(stack, '/invoices', { ...ORDER, title: 'Order 1043' }, { 'idempotency-key': key }), 422, 'idempotency_key_reused', 'Idempotency-Key');
    const [a, b] = [await createInvoice(stack), await createInvoice(stack)];
    expect(a.invoiceReference).not.toBe(b.invoiceReference);
    expect(await calls('sendInvoice')).toEqual([0, 0, 0]);
  });

  it('should refuse a malformed key before SEQR is called', async () => {
    await expectError(await post(stack, '/invoices', ORDER, { 'idempotency-key': 'x'.repeat(256) }), 400, 'invalid_field', 'Idempotency-Key');
    expect(await seqrCalls(stack)).toHaveLength(0);
  });
});

describe('When the shop updates an invoice (PUT /invoices/{ref})', () => {
  it('should send updateInvoice and store the new rows and total; a payment after it is still notified and confirmed', async () => {
    const invoice = await createInvoice(stack);
    const response = await put(`/invoices/${invoice.invoiceReference}`, UPDATED);
    expect(response.status).toBe(200);
    // 75.00 − 5.00 + 39.00 − 20.00
    expect(await response.json()).toMatchObject({ status: 'ISSUED', title: 'Order 1042 (changed)', total: { value: '89.00', currency: 'SEK' }, footer: UPDATED.footer, cashierId: 'web-7' });
    expect(await simulatorInvoice(stack, invoice.invoiceReference)).toMatchObject({ totalAmount: { value: '89.00', currency: 'SEK' } });
    expect(await calls('updateInvoice')).toEqual([0]);
    // The new notificationUrl SEQR was given leads to this invoice: the payment is confirmed at once.
    await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`);
    expect(await simulatorInvoice(stack, invoice.invoiceReference)).toMatchObject({ status: 'PAID', confirmed: true, notificationsSent: 1 });
    expect((await storedInvoice(stack, invoice.invoiceReference)).body).toMatchObject({ status: 'PAID', total: { value: '89.00', currency: 'SEK' } });
  });

  it('should answer 48 (the shopper is paying) with 409 payment_in_progress and keep the stored rows', async () => {
    const invoice = await createInvoice(stack);
    await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/scan`);
    const before = await storedInvoice(stack, invoice.invoiceReference);
    await expectError(await put(`/invoices/${invoice.invoiceReference}`, UPDATED), 409, 'payment_in_progress');
    expect(await calls('updateInvoice')).toEqual([48]);
    expect((await storedInvoice(stack, invoice.invoiceReference)).body).toEqual(before.body);
  });

  it('should answer 409 invoice_final for a paid invoice without asking SEQR', async () => {
    const invoice = await createInvoice(stack);
    await pay(invoice.invoiceReference);
    await simulator(stack, 'DELETE', '/simulator/calls');
    await expectError(await put(`/invoices/${invoice.invoiceReference}`, UPDATED), 409, 'invoice_final');
    expect(await seqrCalls(stack)).toHaveLength(0);
  });

  it('should answer 409 invoice_final when SEQR has it final already (canceled in the app), and store that status', async () => {
    const invoice = await createInvoice(stack);
    await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/cancel`);
    await expectError(await put(`/invoices/${invoice.invoiceReference}`, UPDATED), 409, 'invoice_final');
    expect((await storedInvoice(stack, invoice.invoiceReference)).body).toMatchObject({ status: 'CANCELED', total: { value: '62.50', currency: 'SEK' } });
  });

  it('should refuse a bad body with the POST /invoices answers, writing nothing and asking SEQR nothing', async () => {
    const invoice = await createInvoice(stack);
    const before = await storedInvoice(stack, invoice.invoiceReference);
    await simulator(stack, 'DELETE', '/simulator/calls');
    await expectError(await put(`/invoices/${invoice.invoiceReference}`, { ...UPDATED, rows: [] }), 400, 'invalid_field', 'rows');
    await expectError(await put(`/invoices/${invoice.invoiceReference}`, { ...UPDATED, colour: 'red' }), 400, 'unknown_field', 'colour');
    await expectError(await put(`/invoices/${invoice.invoiceReference}`, '{"title":'), 400, 'invalid_json');
    await expectError(await put('/invoices/1234567890123', UPDATED), 404, 'not_found', 'invoiceReference');
    await expectError(await put(`/invoices/${invoice.invoiceReference}`, UPDATED, { authorization: 'Bearer nope' }), 401, 'unauthorized');
    expect(await seqrCalls(stack)).toHaveLength(0);
    expect((await storedInvoice(stack, invoice.invoiceReference)).body).toEqual(before.body);
  });
});

describe('When the shop cancels an invoice', () => {
  it('should cancel at SEQR, answer 200 CANCELED, store it and push it to the open socket', async () => {
    const invoice = await createInvoice(stack);
    const browser = await subscribe(invoice);
    await browser.next((m) => m.status === 'ISSUED');
    const response = await postEmpty(`/invoices/${invoice.invoiceReference}/cancel`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ invoiceReference: invoice.invoiceReference, status: 'CANCELED', version: 2 });
    // Pushed by the route itself (SEQR notifies no cancel), as a payment is.
    expect(await browser.next((m) => m.status === 'CANCELED', 1_000)).toEqual({ type: 'invoice.status', invoiceReference: invoice.invoiceReference, status: 'CANCELED', version: 2 });
    expect(await simulatorInvoice(stack, invoice.invoiceReference)).toMatchObject({ status: 'CANCELED' });
    expect((await storedInvoice(stack, invoice.invoiceReference)).body).toMatchObject({ status: 'CANCELED' });
    await browser.close();
  });

  it('should answer a second cancel with 200 CANCELED without asking SEQR again', async () => {
    const invoice = await createInvoice(stack);
    expect((await postEmpty(`/invoices/${invoice.invoiceReference}/cancel`)).status).toBe(200);
    const again = await post(stack, `/invoices/${invoice.invoiceReference}/cancel`, {});
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'CANCELED', version: 2 });
    expect(await calls('cancelInvoice')).toEqual([0]);
  });

  it('should take 95 (canceled in the app already) as CANCELED: 200, stored and pushed', async () => {
    const invoice = await createInvoice(stack);
    const browser = await subscribe(invoice);
    await browser.next((m) => m.status === 'ISSUED');
    await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/cancel`);
    const response = await postEmpty(`/invoices/${invoice.invoiceReference}/cancel`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'CANCELED' });
    expect(await calls('cancelInvoice')).toEqual([95]);
    await browser.next((m) => m.status === 'CANCELED', 2_000);
    await browser.close();
  });

  it('should answer 50 (paid before we heard) with 409 already_paid, and store and confirm the payment', async () => {
    const invoice = await createInvoice(stack);
    // SEQR's notification is lost: our store still says ISSUED.
    await simulator(stack, 'POST', '/simulator/faults', { kind: 'notification', mode: 'drop' });
    await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`);
    await expectError(await postEmpty(`/invoices/${invoice.invoiceReference}/cancel`), 409, 'already_paid');
    expect(await calls('cancelInvoice')).toEqual([50]);
    expect((await storedInvoice(stack, invoice.invoiceReference)).body).toMatchObject({ status: 'PAID' });
    expect(await simulatorInvoice(stack, invoice.invoiceReference)).toMatchObject({ status: 'PAID', confirmed: true });
    // Stored PAID: a cancel now is refused without SEQR.
    await expectError(await postEmpty(`/invoices/${invoice.invoiceReference}/cancel`), 409, 'already_paid');
    expect(await calls('cancelInvoice')).toEqual([50]);
  });

  it('should answer 51 (the shopper is paying) with 409 payment_in_progress and store nothing', async () => {
    const invoice = await createInvoice(stack);
    await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/scan`);
    await expectError(await postEmpty(`/invoices/${invoice.invoiceReference}/cancel`), 409, 'payment_in_progress');
    expect(await calls('cancelInvoice')).toEqual([51]);
    expect((await storedInvoice(stack, invoice.invoiceReference)).body).toMatchObject({ status: 'ISSUED', version: 1 });
  });

  it('should refuse bad input: a field in the body, an unknown invoice, no shop key', async () => {
    const invoice = await createInvoice(stack);
    await simulator(stack, 'DELETE', '/simulator/calls');
    await expectError(await post(stack, `/invoices/${invoice.invoiceReference}/cancel`, { reason: 'x' }), 400, 'unknown_field', 'reason');
    await expectError(await post(stack, `/invoices/${invoice.invoiceReference}/cancel`, '[1]'), 400, 'invalid_body');
    await expectError(await postEmpty('/invoices/1234567890123/cancel'), 404, 'not_found', 'invoiceReference');
    await expectError(await postEmpty('/invoices/not-a-ref/cancel'), 404, 'not_found', 'invoiceReference');
    await expectError(await postEmpty(`/invoices/${invoice.invoiceReference}/cancel`, { authorization: 'Bearer nope' }), 401, 'unauthorized');
    expect(await seqrCalls(stack)).toHaveLength(0);
    expect((await storedInvoice(stack, invoice.invoiceReference)).body).toMatchObject({ status: 'ISSUED', version: 1 });
  });
});

describe('When the shop commits a reservation', () => {
  it('should commit a RESERVED invoice: PAID confirmed with SEQR, stored and pushed', async () => {
    const invoice = await createInvoice(stack, { ...ORDER, paymentMode: 'RESERVATION_DESIRED' });
    const browser = await subscribe(invoice);
    await browser.next((m) => m.status === 'ISSUED');
    await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`);
    expect(await simulatorInvoice(stack, invoice.invoiceReference)).toMatchObject({ status: 'RESERVED' });
    // SEQR notifies no reservation: our store learns RESERVED when the browser's poll asks.
    const poll = (await (await fetch(invoice.statusUrl)).json()) as { status: string };
    expect(poll.status).toBe('RESERVED');
    await browser.next((m) => m.status === 'RESERVED', 2_000);

    const response = await postEmpty(`/invoices/${invoice.invoiceReference}/commit`);
    expect(response.status).toBe(200);
    const seqr = await simulatorInvoice(stack, invoice.invoiceReference);
    expect(await response.json()).toMatchObject({ status: 'PAID', ersReference: seqr.ersReference });
    expect(seqr).toMatchObject({ status: 'PAID', confirmed: true });
    expect(await calls('commitReservation')).toEqual([0]);
    const paid = await browser.next((m) => m.status === 'PAID', 2_000);
    expect(paid).toMatchObject({ ersReference: seqr.ersReference });
    await browser.close();
  });

  it('should answer 96 (not reserved) with 409 not_reserved for an open invoice, and refuse a final one without SEQR', async () => {
    const invoice = await createInvoice(stack);
    await expectError(await postEmpty(`/invoices/${invoice.invoiceReference}/commit`), 409, 'not_reserved');
    expect(await calls('commitReservation')).toEqual([96]);
    expect((await storedInvoice(stack, invoice.invoiceReference)).body).toMatchObject({ status: 'ISSUED' });
    await pay(invoice.invoiceReference);
    await simulator(stack, 'DELETE', '/simulator/calls');
    await expectError(await postEmpty(`/invoices/${invoice.invoiceReference}/commit`), 409, 'not_reserved');
    expect(await seqrCalls(stack, 'commitReservation')).toHaveLength(0);
  });

  it('should refuse bad input: a body field, an unknown invoice, no shop key', async () => {
    await expectError(await post(stack, '/invoices/1234567890123/commit', { amount: '1' }), 400, 'unknown_field', 'amount');
    await expectError(await postEmpty('/invoices/1234567890123/commit'), 404, 'not_found', 'invoiceReference');
    await expectError(await postEmpty('/invoices/1234567890123/commit', { authorization: 'Bearer nope' }), 401, 'unauthorized');
    expect(await seqrCalls(stack)).toHaveLength(0);
  });
});

describe('When the shop submits a payment receipt', () => {
  const html = Buffer.from('<html><body><h1>Receipt</h1><p>Coffee × 2: 50.00 SEK</p></body></html>').toString('base64');

  it('should send the document with submitPaymentReceipt for a PAID invoice and store it as sent', async () => {
    const invoice = await createInvoice(stack);
    await pay(invoice.invoiceReference);
    const response = await post(stack, `/invoices/${invoice.invoiceReference}/receipt`, { document: { mimeType: 'text/html', data: html, type: 'PAYMENT_RECEIPT' } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.paymentReceipt).toEqual({ mimeType: 'text/html', data: html, type: 'PAYMENT_RECEIPT', submittedAt: expect.any(String) });
    expect((await storedInvoice(stack, invoice.invoiceReference)).body.paymentReceipt).toEqual(body.paymentReceipt);
    expect(await calls('submitPaymentReceipt')).toEqual([0]);
    expect(await simulator(stack, 'GET', `/simulator/invoices/${invoice.invoiceReference}`)).toMatchObject({ body: { receiptsSubmitted: 1 } });
  });

  it('should send an empty receipt when there is no body, as SEQR allows', async () => {
    const invoice = await createInvoice(stack);
    await pay(invoice.invoiceReference);
    const response = await postEmpty(`/invoices/${invoice.invoiceReference}/receipt`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Record<string, unknown>).paymentReceipt).toMatchObject({ mimeType: 'text/html', data: '', type: 'PAYMENT_RECEIPT' });
    expect(await calls('submitPaymentReceipt')).toEqual([0]);
  });

  it('should answer 409 not_paid for an invoice that is not PAID without asking SEQR', async () => {
    const invoice = await createInvoice(stack);
    await expectError(await postEmpty(`/invoices/${invoice.invoiceReference}/receipt`), 409, 'not_paid');
    expect(await seqrCalls(stack, 'submitPaymentReceipt')).toHaveLength(0);
  });

  it('should answer SEQR’s 23 (the payment was reversed) with 409 not_paid', async () => {
    const invoice = await createInvoice(stack);
    await pay(invoice.invoiceReference);
    await simulator(stack, 'POST', '/simulator/faults', { kind: 'resultCode', code: 23, operation: 'submitPaymentReceipt' });
    await expectError(await postEmpty(`/invoices/${invoice.invoiceReference}/receipt`), 409, 'not_paid');
    expect((await storedInvoice(stack, invoice.invoiceReference)).body.paymentReceipt).toBeUndefined();
  });

  it('should refuse a bad document, naming the field, and ask SEQR nothing', async () => {
    const invoice = await createInvoice(stack);
    await pay(invoice.invoiceReference);
    await simulator(stack, 'DELETE', '/simulator/calls');
    const path = `/invoices/${invoice.invoiceReference}/receipt`;
    await expectError(await post(stack, path, { document: { mimeType: 'text/html', data: 'not base64!' } }), 400, 'invalid_field', 'document.data');
    await expectError(await post(stack, path, { document: { mimeType: 'html', data: '' } }), 400, 'invalid_field', 'document.mimeType');
    await expectError(await post(stack, path, { document: { mimeType: 'text/html', data: '', type: 'INVOICE' } }), 400, 'invalid_field', 'document.type');
    await expectError(await post(stack, path, { document: { data: '' } }), 400, 'missing_field', 'document.mimeType');
    await expectError(await post(stack, path, { receipt: {} }), 400, 'unknown_field', 'receipt');
    await expectError(await postEmpty('/invoices/1234567890123/receipt'), 404, 'not_found', 'invoiceReference');
    await expectError(await postEmpty(path, { authorization: 'Bearer nope' }), 401, 'unauthorized');
    expect(await seqrCalls(stack)).toHaveLength(0);
    expect((await storedInvoice(stack, invoice.invoiceReference)).body.paymentReceipt).toBeUndefined();
  });
});
