// Intent: the payment paths (create, notification, poll, subscribe, push) over
// in-memory ports: every rule of the core, fast and without a stack.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvoiceNotFoundError, PaymentNotConfirmedError, SeqrRejectedError, SeqrUnavailableError, StoreUnavailableError } from '../../../src/core/errors.js';
import { createInvoice, type CreatedInvoice } from '../../../src/core/invoices/create-invoice.js';
import { parseInvoiceRequest } from '../../../src/core/invoices/invoice-request.js';
import { handleNotification } from '../../../src/core/payments/notification.js';
import { pollStatus } from '../../../src/core/payments/status-poll.js';
import { SeqrError, SeqrTransportError } from '../../../src/core/seqr/errors.js';
import { pushToSubscribers } from '../../../src/core/subscriptions/push.js';
import { connect, subscribe } from '../../../src/core/subscriptions/subscriptions.js';
import { statusMessage } from '../../../src/contract/index.js';
import { memoryDeps, type MemoryDeps } from '../../support/memory-ports.js';

const ORDER = { title: 'Order 7', currency: 'SEK', rows: [{ description: 'Coffee', quantity: '2', unitPrice: '25.00' }] };
const SETTINGS = { publicBaseUrl: 'https://api.example', websocketUrl: 'wss://ws.example/live', retentionDays: 90 };
const PAID = { status: 'PAID' as const, version: 2, ersReference: '7'.repeat(25) };

let deps: MemoryDeps;
beforeEach(() => {
  deps = memoryDeps();
});

/** A new invoice, with the notification token SEQR was given in its notificationUrl. */
async function created(): Promise<CreatedInvoice & { notificationToken: string }> {
  const invoice = await createInvoice({ ...deps, settings: SETTINGS }, parseInvoiceRequest(ORDER), deps.log);
  const notificationToken = deps.seqr.sent.get(invoice.invoiceReference)!.notificationUrl!.split('/').pop()!;
  return { ...invoice, notificationToken };
}

async function socket(invoice: CreatedInvoice, connectionId: string) {
  await connect(deps, invoice.invoiceReference, invoice.subscribeToken, connectionId, deps.log);
}

describe('creating an invoice', () => {
  it('should send it to SEQR once and store it ISSUED at version 1 with only token hashes', async () => {
    const invoice = await created();
    expect(deps.seqr.count('sendInvoice')).toBe(1);
    const stored = deps.invoices.items.get(invoice.invoiceReference)!;
    expect(stored).toMatchObject({ status: 'ISSUED', version: 1, total: '50.00' });
    expect(JSON.stringify(stored)).not.toContain(invoice.subscribeToken);
    expect(JSON.stringify(stored)).not.toContain(invoice.notificationToken);
  });
  it('should cancel the invoice at SEQR and say store_unavailable when the store refuses it', async () => {
    deps.invoices.faults.fail('create', 1);
    await expect(createInvoice({ ...deps, settings: SETTINGS }, parseInvoiceRequest(ORDER), deps.log)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(deps.seqr.count('cancelInvoice')).toBe(1);
    expect(deps.invoices.items.size).toBe(0);
  });
  it('should name SEQR refusals of the invoice, and its absence, as domain errors', async () => {
    deps.seqr.sendInvoiceError = new SeqrError('sendInvoice', 49);
    await expect(createInvoice({ ...deps, settings: SETTINGS }, parseInvoiceRequest(ORDER), deps.log)).rejects.toMatchObject({
      constructor: SeqrRejectedError,
      code: 'seqr_rejected',
      codeName: 'INVALID_INVOICE_DATA',
    });
    deps.seqr.sendInvoiceError = new SeqrTransportError('sendInvoice', 'timeout', 'no answer');
    await expect(createInvoice({ ...deps, settings: SETTINGS }, parseInvoiceRequest(ORDER), deps.log)).rejects.toBeInstanceOf(SeqrUnavailableError);
  });
});

describe('a SEQR notification', () => {
  it('should ask SEQR at once, store PAID and push it to every subscribed connection once', async () => {
    const invoice = await created();
    await socket(invoice, 'c1');
    await socket(invoice, 'c2');
    deps.seqr.statuses.set(invoice.invoiceReference, [PAID]);
    const result = await handleNotification(deps, invoice.notificationToken, '', deps.log);
    expect(result).toMatchObject({ status: 'PAID', version: 2, ersReference: PAID.ersReference });
    expect(deps.seqr.count('getPaymentStatus')).toBe(1);
    expect(deps.poster.to('c1')).toEqual([statusMessage(result)]);
    expect(deps.poster.to('c2')).toEqual([statusMessage(result)]);
  });
  it('should push nothing twice and not ask SEQR again when five duplicates arrive', async () => {
    const invoice = await created();
    await socket(invoice, 'c1');
    deps.seqr.statuses.set(invoice.invoiceReference, [PAID]);
    for (let i = 0; i < 5; i++) await handleNotification(deps, invoice.notificationToken, '', deps.log);
    expect(deps.seqr.count('getPaymentStatus')).toBe(1);
    expect(deps.poster.to('c1')).toHaveLength(1);
    expect(deps.invoices.items.get(invoice.invoiceReference)!.version).toBe(2);
  });
  it('should answer not found for an unknown token without asking SEQR', async () => {
    await created();
    await expect(handleNotification(deps, 'x'.repeat(43), '', deps.log)).rejects.toBeInstanceOf(InvoiceNotFoundError);
    await expect(handleNotification(deps, 'short', '', deps.log)).rejects.toBeInstanceOf(InvoiceNotFoundError);
    expect(deps.seqr.count('getPaymentStatus')).toBe(0);
  });
  it('should retry the store past a brief outage: a PAID answer always ends PAID in the store', async () => {
    const invoice = await created();
    deps.seqr.statuses.set(invoice.invoiceReference, [PAID]);
    deps.invoices.faults.fail('advanceStatus', 3);
    await handleNotification(deps, invoice.notificationToken, '', deps.log);
    expect(deps.invoices.items.get(invoice.invoiceReference)!.status).toBe('PAID');
  });
  it('should say not_stored, and log the alarm line, when the store stays down', async () => {
    const invoice = await created();
    deps.seqr.statuses.set(invoice.invoiceReference, [PAID]);
    deps.invoices.faults.fail('advanceStatus', 100);
    await expect(handleNotification(deps, invoice.notificationToken, '', deps.log)).rejects.toMatchObject({ code: 'not_stored' });
    expect(deps.lines).toContainEqual(expect.objectContaining({ message: 'notification not confirmed', failedAt: 'store' }));
  });
  it('should say not_confirmed, and log the alarm line, when SEQR cannot be asked', async () => {
    const invoice = await created();
    deps.seqr.statuses.set(invoice.invoiceReference, [new SeqrTransportError('getPaymentStatus', 'timeout', 'no answer')]);
    await expect(handleNotification(deps, invoice.notificationToken, '', deps.log)).rejects.toBeInstanceOf(PaymentNotConfirmedError);
    expect(deps.lines).toContainEqual(expect.objectContaining({ message: 'notification not confirmed', failedAt: 'seqr', invoiceReference: invoice.invoiceReference }));
  });
  it('should let PAID win over a CANCELED stored by an earlier poll', async () => {
    const invoice = await created();
    deps.seqr.statuses.set(invoice.invoiceReference, [{ status: 'CANCELED', version: 2 }, { ...PAID, version: 3 }]);
    await pollStatus(deps, invoice.invoiceReference, invoice.subscribeToken, deps.log);
    expect(deps.invoices.items.get(invoice.invoiceReference)!.status).toBe('CANCELED');
    await handleNotification(deps, invoice.notificationToken, '', deps.log);
    expect(deps.invoices.items.get(invoice.invoiceReference)!.status).toBe('PAID');
  });
});

describe('the browser polling the status', () => {
  it('should ask SEQR at most once a second however often it polls', async () => {
    const invoice = await created();
    for (let i = 0; i < 5; i++) await pollStatus(deps, invoice.invoiceReference, invoice.subscribeToken, deps.log);
    expect(deps.seqr.count('getPaymentStatus')).toBe(1);
    deps.clock.advance(1_000);
    await pollStatus(deps, invoice.invoiceReference, invoice.subscribeToken, deps.log);
    expect(deps.seqr.count('getPaymentStatus')).toBe(2);
  });
  it('should not ask SEQR about a final invoice', async () => {
    const invoice = await created();
    deps.seqr.statuses.set(invoice.invoiceReference, [PAID]);
    await pollStatus(deps, invoice.invoiceReference, invoice.subscribeToken, deps.log);
    deps.clock.advance(5_000);
    await pollStatus(deps, invoice.invoiceReference, invoice.subscribeToken, deps.log);
    expect(deps.seqr.count('getPaymentStatus')).toBe(1);
  });
  it('should answer not found for a wrong token, and ask nobody', async () => {
    const invoice = await created();
    await expect(pollStatus(deps, invoice.invoiceReference, 'wrong', deps.log)).rejects.toBeInstanceOf(InvoiceNotFoundError);
    expect(deps.seqr.count('getPaymentStatus')).toBe(0);
  });
  it('should answer the stored status when SEQR is unavailable', async () => {
    const invoice = await created();
    deps.seqr.statuses.set(invoice.invoiceReference, [new SeqrTransportError('getPaymentStatus', 'network', 'ECONNRESET')]);
    await expect(pollStatus(deps, invoice.invoiceReference, invoice.subscribeToken, deps.log)).resolves.toMatchObject({ status: 'ISSUED' });
  });
});

describe('subscriptions and pushes', () => {
  it('should refuse a socket with a wrong token and store no connection', async () => {
    const invoice = await created();
    await expect(connect(deps, invoice.invoiceReference, 'wrong', 'c1', deps.log)).rejects.toBeInstanceOf(InvoiceNotFoundError);
    expect(deps.connections.rows.size).toBe(0);
  });
  it('should send the current status on subscribe, again on a repeated subscribe, never after a final push', async () => {
    const invoice = await created();
    await socket(invoice, 'c1');
    expect(await subscribe(deps, 'c1', deps.log)).toBe(true);
    expect(await subscribe(deps, 'c1', deps.log)).toBe(true);
    expect(deps.poster.to('c1').map((m) => (m as { status: string }).status)).toEqual(['ISSUED', 'ISSUED']);
    deps.seqr.statuses.set(invoice.invoiceReference, [PAID]);
    await handleNotification(deps, invoice.notificationToken, '', deps.log);
    await subscribe(deps, 'c1', deps.log);
    expect(deps.poster.to('c1').map((m) => (m as { status: string }).status)).toEqual(['ISSUED', 'ISSUED', 'PAID']);
  });
  it('should remove a gone connection, but keep a young one and let a later push reach it', async () => {
    const invoice = await created();
    await socket(invoice, 'old');
    deps.clock.advance(60_000);
    await socket(invoice, 'young');
    deps.poster.outcomes.set('old', ['gone']);
    deps.poster.outcomes.set('young', ['gone']);
    const message = statusMessage({ ...invoice, status: 'PAID', version: 2 });
    expect(await pushToSubscribers(deps, message)).toMatchObject({ gone: 1, failed: 1 });
    expect(await deps.connections.find('old')).toBeUndefined();
    expect(await pushToSubscribers(deps, message)).toMatchObject({ sent: 1 });
    expect(deps.poster.to('young')).toEqual([message]);
  });
  it('should give a refused push back for a retry, but never repeat one that timed out (it may have arrived)', async () => {
    const invoice = await created();
    await socket(invoice, 'refused');
    await socket(invoice, 'timedout');
    deps.poster.outcomes.set('refused', ['refused']);
    deps.poster.outcomes.set('timedout', ['unknown']);
    const message = statusMessage({ ...invoice, status: 'PAID', version: 2 });
    await pushToSubscribers(deps, message);
    await pushToSubscribers(deps, message);
    expect(deps.poster.to('refused')).toEqual([message]);
    expect(deps.poster.to('timedout')).toEqual([message]);
  });
});
