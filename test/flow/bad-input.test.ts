/**
 * Unhappy paths on every route: each bad request gets a 4xx JSON error naming
 * the field, nothing is written to DynamoDB, and SEQR is not called.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ORDER, countItems, post, seqrCalls, simulator, startTestStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await simulator(stack, 'DELETE', '/simulator/calls');
});

async function expectRefused(response: Response, status: number, code: string, field?: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await response.json()) as { error: { code: string; message: string; field?: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
  if (field) expect(body.error.field).toBe(field);
  expect(await seqrCalls(stack)).toHaveLength(0);
  expect(await countItems(stack, 'seqr-invoices')).toBe(0);
}

const row = ORDER.rows[0]!;
const withRows = (...rows: unknown[]) => ({ ...ORDER, rows });

describe('When POST /invoices gets a bad body', () => {
  const cases: [string, unknown, number, string, string?][] = [
    ['malformed JSON', '{"title": ', 400, 'invalid_json'],
    ['an empty body', '', 400, 'invalid_json'],
    ['a JSON array', [], 400, 'invalid_body'],
    ['a missing title', { currency: 'SEK', rows: ORDER.rows }, 400, 'missing_field', 'title'],
    ['a missing currency', { title: 'x', rows: ORDER.rows }, 400, 'missing_field', 'currency'],
    ['an unknown top-level field', { ...ORDER, discount: '5' }, 400, 'unknown_field', 'discount'],
    ['an unknown row field', withRows({ ...row, colour: 'red' }), 400, 'unknown_field', 'rows[0].colour'],
    ['a negative unit price that leaves nothing to pay', withRows({ ...row, unitPrice: '-25.00' }), 400, 'invalid_field', 'rows'],
    ['a unit price with a plus sign', withRows({ ...row, unitPrice: '+25.00' }), 400, 'invalid_field', 'rows[0].unitPrice'],
    ['a non-decimal unit price', withRows({ ...row, unitPrice: '25,00' }), 400, 'invalid_field', 'rows[0].unitPrice'],
    ['a number instead of a decimal string', withRows({ ...row, unitPrice: 25 }), 400, 'invalid_field', 'rows[0].unitPrice'],
    ['too many decimals for the currency', withRows({ ...row, unitPrice: '25.001' }), 400, 'invalid_field', 'rows[0].unitPrice'],
    ['a zero quantity', withRows({ ...row, quantity: '0' }), 400, 'invalid_field', 'rows[0].quantity'],
    ['a negative quantity', withRows({ ...row, quantity: '-1' }), 400, 'invalid_field', 'rows[0].quantity'],
    ['a total of zero', withRows({ ...row, unitPrice: '0.00' }), 400, 'invalid_field', 'rows'],
    ['zero rows', withRows(), 400, 'invalid_field', 'rows'],
    ['1,000 rows', withRows(...Array.from({ length: 1000 }, () => row)), 400, 'invalid_field', 'rows'],
    ['an unknown currency', { ...ORDER, currency: 'XYZ' }, 400, 'invalid_field', 'currency'],
    ['a lower-case currency', { ...ORDER, currency: 'sek' }, 400, 'invalid_field', 'currency'],
    ['a backUrl that is not a URL', { ...ORDER, backUrl: 'not a url' }, 400, 'invalid_field', 'backUrl'],
    ['a backUrl with a javascript: scheme', { ...ORDER, backUrl: 'javascript:alert(1)' }, 400, 'invalid_field', 'backUrl'],
    ['an empty title', { ...ORDER, title: '   ' }, 400, 'invalid_field', 'title'],
    ['a tax rate over 100', withRows({ ...row, taxRate: '125' }), 400, 'invalid_field', 'rows[0].taxRate'],
    ['a control character in a description', withRows({ ...row, description: 'Coffee\u0001' }), 400, 'invalid_field', 'rows[0].description'],
    ['an unpaired surrogate in the title', { ...ORDER, title: 'Order \ud800 end' }, 400, 'invalid_field', 'title'],
    ['a total of 10^12 or more', withRows({ ...row, quantity: '999999999999', unitPrice: '999999999999.00' }), 400, 'invalid_field', 'rows'],
  ];
  for (const [name, body, status, code, field] of cases) {
    it(`should refuse ${name} with ${status} ${code}`, async () => {
      await expectRefused(await post(stack, '/invoices', body), status, code, field);
    });
  }

  it('should refuse an oversize body with 413', async () => {
    await expectRefused(await post(stack, '/invoices', { ...ORDER, title: 'x'.repeat(70_000) }), 413, 'body_too_large');
  });

  it('should refuse a body that is not JSON by content type with 415', async () => {
    await expectRefused(await post(stack, '/invoices', 'title=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
  });
});

describe('When the shop key is wrong or missing', () => {
  it('should answer 401 to a missing Authorization header', async () => {
    const response = await fetch(`${stack.httpUrl}/invoices`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ORDER) });
    await expectRefused(response, 401, 'unauthorized');
  });

  it('should answer 401 to a wrong key', async () => {
    await expectRefused(await post(stack, '/invoices', ORDER, { authorization: 'Bearer not-the-key' }), 401, 'unauthorized');
  });

  it('should answer 401 to GET /invoices/{ref} without the key', async () => {
    await expectRefused(await fetch(`${stack.httpUrl}/invoices/1234567890123`), 401, 'unauthorized');
  });

  it('should not reveal the key in any answer', async () => {
    const response = await post(stack, '/invoices', ORDER, { authorization: 'Bearer not-the-key' });
    expect(await response.text()).not.toContain(stack.shopApiKey);
  });
});

describe('When a browser or SEQR route gets bad input', () => {
  it('should answer 404 for an unknown invoice on GET /invoices/{ref}', async () => {
    const response = await fetch(`${stack.httpUrl}/invoices/1234567890123`, { headers: { authorization: `Bearer ${stack.shopApiKey}` } });
    await expectRefused(response, 404, 'not_found', 'invoiceReference');
  });

  it('should answer 404 for a status poll without a token', async () => {
    await expectRefused(await fetch(`${stack.httpUrl}/invoices/1234567890123/status`), 404, 'not_found');
  });

  it('should answer 404 for a status poll of a malformed reference', async () => {
    await expectRefused(await fetch(`${stack.httpUrl}/invoices/not-a-ref/status?token=x`), 404, 'not_found');
  });

  it('should answer 404 for a malformed notification token', async () => {
    await expectRefused(await fetch(`${stack.httpUrl}/seqr/notifications/short`, { method: 'POST' }), 404, 'not_found');
  });

  it('should answer 413 for an oversize notification body', async () => {
    const response = await fetch(`${stack.httpUrl}/seqr/notifications/${'A'.repeat(43)}`, { method: 'POST', body: 'x'.repeat(10_000) });
    await expectRefused(response, 413, 'body_too_large');
  });
});

describe('When a socket sends something other than a subscribe', () => {
  it('should answer an error frame naming the field, and still serve a subscribe afterwards', async () => {
    const { createInvoice, subscribe } = await import('../support/local-stack.js');
    const invoice = await createInvoice(stack);
    const browser = await subscribe(invoice);
    await browser.next((m) => m.type === 'invoice.status');
    for (const frame of ['not json', JSON.stringify({ action: 'pay' }), JSON.stringify([1, 2])]) browser.socket.send(frame);
    const errors = await (async () => {
      for (let i = 0; i < 50 && browser.messages.filter((m) => m.type === 'error').length < 3; i++) await new Promise((r) => setTimeout(r, 50));
      return browser.messages.filter((m) => m.type === 'error');
    })();
    expect(errors).toHaveLength(3);
    expect(errors[0]).toEqual({ type: 'error', error: { code: 'unknown_action', message: expect.any(String), field: 'action' } });
    browser.socket.send(JSON.stringify({ action: 'subscribe' }));
    await browser.next((m) => m.type === 'invoice.status' && browser.messages.filter((x) => x.type === 'invoice.status').length === 2);
    await browser.close();
  });
});
