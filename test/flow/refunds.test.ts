/**
 * POST /invoices/{ref}/refunds on the local stack over real HTTP: partial
 * refunds against the simulator, their sum held under the paid total before
 * SEQR is asked, SEQR's refusals (23, 48, 97, 98, 99) as clear 4xx codes, and
 * the Idempotency-Key: a retry gets the first answer with no second SEQR call,
 * two requests at once make one refund, an unanswered refund is never sent again.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_TERMINAL } from '../../local/stack.js';
import { createInvoice, eventually, post, seqrCalls, simulator, simulatorInvoice, startTestStack, storedInvoice, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;

beforeAll(async () => {
  // A short SEQR time-out, so a refund SEQR does not answer in time is quick to produce.
  stack = await startTestStack({ env: { SEQR_TIMEOUT_MS: '1500' } });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await simulator(stack, 'DELETE', '/simulator/faults');
  await simulator(stack, 'POST', `/simulator/terminals/${LOCAL_TERMINAL.terminalId}`, { refunds: 'allowed' });
});

/** An invoice of 62.50 SEK, paid in the app and confirmed (stored PAID). */
async function paidInvoice(): Promise<string> {
  const invoice = await createInvoice(stack);
  expect((await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`)).status).toBe(200);
  await eventually(async () => (await storedInvoice(stack, invoice.invoiceReference)).body.status === 'PAID');
  return invoice.invoiceReference;
}

const refundBody = (value: string, extra: Record<string, unknown> = {}) => ({ amount: { value, currency: 'SEK' }, ...extra });

function refund(ref: string, body: unknown, key: string | undefined = randomUUID()) {
  return post(stack, `/invoices/${ref}/refunds`, body, key === undefined ? {} : { 'idempotency-key': key });
}

async function refundCalls(ref: string) {
  const seqrRef = (await simulatorInvoice(stack, ref)).ersReference;
  return (await seqrCalls(stack, 'refundPayment')).filter((call) => (call as { ersReference?: string }).ersReference === seqrRef);
}

async function expectError(response: Response, status: number, code: string, field?: string) {
  const body = (await response.json()) as { error: { code: string; message: string; field?: string } };
  expect({ status: response.status, code: body.error.code }).toEqual({ status, code });
  expect(body.error.message).toEqual(expect.any(String));
  if (field) expect(body.error.field).toBe(field);
  return body;
}

describe('When a paid invoice is refunded in parts', () => {
  it('should answer 201 with the refund, refund at SEQR, and list the refunds and refundedTotal on GET', async () => {
    const ref = await paidInvoice();
    const first = await refund(ref, refundBody('30.00', { title: 'Returned: 1 coffee' }));
    expect(first.status).toBe(201);
    const one = (await first.json()) as Record<string, unknown>;
    expect(one).toEqual({
      refundId: expect.any(String),
      ersReference: expect.stringMatching(/^\d{25}$/),
      amount: { value: '30.00', currency: 'SEK' },
      refundedTotal: { value: '30.00', currency: 'SEK' },
      createdAt: expect.any(String),
    });
    const second = await refund(ref, refundBody('12.5'));
    expect(second.status).toBe(201);
    const two = (await second.json()) as Record<string, unknown>;
    expect(two).toMatchObject({ amount: { value: '12.50', currency: 'SEK' }, refundedTotal: { value: '42.50', currency: 'SEK' } });

    const atSeqr = (await simulator(stack, 'GET', `/simulator/invoices/${ref}`)).body as { refundedAmount: string; refunds: { ersReference: string; value: string }[] };
    expect(atSeqr.refundedAmount).toBe('42.50');
    expect(atSeqr.refunds.map((r) => r.ersReference)).toEqual([one.ersReference, two.ersReference]);

    const stored = await storedInvoice(stack, ref);
    expect(stored.body).toMatchObject({
      status: 'PAID',
      refundedTotal: { value: '42.50', currency: 'SEK' },
      refunds: [
        { refundId: one.refundId, status: 'SUCCEEDED', ersReference: one.ersReference, amount: { value: '30.00', currency: 'SEK' }, title: 'Returned: 1 coffee' },
        { refundId: two.refundId, status: 'SUCCEEDED', ersReference: two.ersReference, amount: { value: '12.50', currency: 'SEK' } },
      ],
    });
  });

  it('should send refund rows to SEQR and refund their exact sum, a discount row included', async () => {
    const ref = await paidInvoice();
    const rows = [
      { description: 'Coffee', quantity: '2', unitPrice: '25.00' },
      { description: 'Voucher', quantity: '1', unitPrice: '-7.50', kind: 'discount' },
    ];
    const response = await refund(ref, refundBody('42.50', { rows }));
    expect(response.status).toBe(201);
    const stored = await storedInvoice(stack, ref);
    expect((stored.body.refunds as { rows: unknown[] }[])[0]!.rows).toEqual([
      { description: 'Coffee', quantity: '2', unitPrice: '25.00', lineTotal: '50.00' },
      { description: 'Voucher', quantity: '1', unitPrice: '-7.50', kind: 'discount', lineTotal: '-7.50' },
    ]);
  });

  it('should refuse refunds adding up to more than the paid total before SEQR is asked (422), and refund the rest', async () => {
    const ref = await paidInvoice();
    expect((await refund(ref, refundBody('50.00'))).status).toBe(201);
    await simulator(stack, 'DELETE', '/simulator/calls');
    await expectError(await refund(ref, refundBody('12.51')), 422, 'refund_exceeds_paid_total');
    expect(await refundCalls(ref)).toHaveLength(0);
    const rest = await refund(ref, refundBody('12.50'));
    expect(rest.status).toBe(201);
    expect(await rest.json()).toMatchObject({ refundedTotal: { value: '62.50', currency: 'SEK' } });
    await expectError(await refund(ref, refundBody('0.01')), 422, 'refund_exceeds_paid_total');
    expect(await refundCalls(ref)).toHaveLength(1);
  });

  it('should refuse a refund of an invoice that is not paid with 409 not_paid, asking SEQR nothing', async () => {
    const invoice = await createInvoice(stack);
    await simulator(stack, 'DELETE', '/simulator/calls');
    await expectError(await refund(invoice.invoiceReference, refundBody('10.00')), 409, 'not_paid');
    expect(await seqrCalls(stack)).toHaveLength(0);
  });
});

describe('When a refund is retried with the same Idempotency-Key', () => {
  it('should give the first answer again without a second refundPayment', async () => {
    const ref = await paidInvoice();
    const key = randomUUID();
    const first = await refund(ref, refundBody('20.00', { title: 'Broken cup' }), key);
    expect(first.status).toBe(201);
    const answer = await first.json();
    // The same body, spelled in another key order: the same request.
    const again = await refund(ref, { title: 'Broken cup', amount: { currency: 'SEK', value: '20.00' } }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(answer);
    expect(await refundCalls(ref)).toHaveLength(1);
    expect((await simulatorInvoice(stack, ref)) as unknown as { refundedAmount: string }).toMatchObject({ refundedAmount: '20.00' });
  });

  it('should refuse the same key with another body: 422 idempotency_key_reused, no refund', async () => {
    const ref = await paidInvoice();
    const key = randomUUID();
    expect((await refund(ref, refundBody('20.00'), key)).status).toBe(201);
    await expectError(await refund(ref, refundBody('21.00'), key), 422, 'idempotency_key_reused', 'Idempotency-Key');
    expect(await refundCalls(ref)).toHaveLength(1);
  });

  it('should make one refund for two requests sent at once with one key', async () => {
    const ref = await paidInvoice();
    // SEQR takes a while to answer, so the second request arrives while the first is at SEQR.
    await simulator(stack, 'POST', '/simulator/faults', { kind: 'latency', ms: 400, operation: 'refundPayment' });
    const key = randomUUID();
    const [a, b] = await Promise.all([refund(ref, refundBody('25.00'), key), refund(ref, refundBody('25.00'), key)]);
    const answers = [await a.json(), await b.json()] as Record<string, unknown>[];
    const created = [a, b].filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const [i, response] of [a, b].entries()) {
      // The other one waited for the first answer, or was told to come back.
      if (response.status === 201) expect(answers[i]).toEqual(answers[created[0] === a ? 0 : 1]);
      else expect((answers[i] as { error: { code: string } }).error.code).toBe('request_in_progress');
    }
    expect(await refundCalls(ref)).toHaveLength(1);
    expect(((await simulatorInvoice(stack, ref)) as unknown as { refunds: unknown[] }).refunds).toHaveLength(1);
    expect((await storedInvoice(stack, ref)).body.refundedTotal).toEqual({ value: '25.00', currency: 'SEK' });
  });

  it('should never send a refund SEQR did not answer again: 502 refund_outcome_unknown, the amount held', async () => {
    const ref = await paidInvoice();
    // SEQR makes the refund but answers after our 1.5 s time-out: we cannot know it was made.
    await simulator(stack, 'POST', '/simulator/faults', { kind: 'latency', ms: 2_500, operation: 'refundPayment' });
    const key = randomUUID();
    await expectError(await refund(ref, refundBody('40.00'), key), 502, 'refund_outcome_unknown');
    await eventually(async () => ((await simulatorInvoice(stack, ref)) as unknown as { refunds: unknown[] }).refunds.length === 1, 5_000);
    await simulator(stack, 'DELETE', '/simulator/calls');
    await expectError(await refund(ref, refundBody('40.00'), key), 502, 'refund_outcome_unknown');
    expect(await refundCalls(ref)).toHaveLength(0);
    const stored = await storedInvoice(stack, ref);
    expect(stored.body).toMatchObject({ refundedTotal: { value: '0.00', currency: 'SEK' }, refunds: [{ status: 'PENDING', amount: { value: '40.00', currency: 'SEK' } }] });
    // The held 40.00 counts: 22.51 more would pass the total if it were refunded.
    await expectError(await refund(ref, refundBody('22.51')), 422, 'refund_exceeds_paid_total');
    expect(await refundCalls(ref)).toHaveLength(0);
  });
});

describe('When SEQR refuses a refund', () => {
  const cases: [string, number, number, string][] = [
    ['23 INVALID_ERS_REFERENCE', 23, 409, 'payment_not_refundable'],
    ['48 PAYMENT_IN_PROGRESS', 48, 409, 'payment_in_progress'],
    ['98 SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION', 98, 422, 'refund_exceeds_paid_total'],
  ];
  for (const [name, code, status, errorCode] of cases) {
    it(`should answer ${name} with ${status} ${errorCode}, store no refund, and let the same key be tried again`, async () => {
      const ref = await paidInvoice();
      // Our store has the payment confirmed and within its total; SEQR disagrees (reversed by the bank, not committed yet, refunded elsewhere).
      await simulator(stack, 'POST', '/simulator/faults', { kind: 'resultCode', code, operation: 'refundPayment' });
      await simulator(stack, 'DELETE', '/simulator/calls');
      const key = randomUUID();
      await expectError(await refund(ref, refundBody('10.00'), key), status, errorCode);
      const stored = await storedInvoice(stack, ref);
      expect(stored.body).toMatchObject({ refunds: [], refundedTotal: { value: '0.00', currency: 'SEK' } });
      const retried = await refund(ref, refundBody('10.00'), key);
      expect(retried.status).toBe(201);
      expect((await seqrCalls(stack, 'refundPayment')).map((call) => call.resultCode)).toEqual([code, 0]);
    });
  }

  it('should answer 97 (this terminal’s reseller may not refund) with 403 reseller_refunds_not_allowed', async () => {
    const ref = await paidInvoice();
    await simulator(stack, 'POST', `/simulator/terminals/${LOCAL_TERMINAL.terminalId}`, { refunds: 'resellerNotAllowed' });
    await expectError(await refund(ref, refundBody('10.00')), 403, 'reseller_refunds_not_allowed');
    expect((await refundCalls(ref)).map((c) => c.resultCode)).toEqual([97]);
    expect((await storedInvoice(stack, ref)).body.refunds).toEqual([]);
  });

  it('should answer 99 (the receiving account allows no refunds) with 403 receiver_refunds_not_allowed', async () => {
    const ref = await paidInvoice();
    await simulator(stack, 'POST', `/simulator/terminals/${LOCAL_TERMINAL.terminalId}`, { refunds: 'receiverNotAllowed' });
    await expectError(await refund(ref, refundBody('10.00')), 403, 'receiver_refunds_not_allowed');
    expect((await refundCalls(ref)).map((c) => c.resultCode)).toEqual([99]);
  });
});

describe('When a refund request is bad', () => {
  const cases: [string, unknown, Record<string, string> | undefined, number, string, string?][] = [
    ['no Idempotency-Key', refundBody('10.00'), undefined, 400, 'missing_field', 'Idempotency-Key'],
    ['an Idempotency-Key with a space', refundBody('10.00'), { 'idempotency-key': 'a b' }, 400, 'invalid_field', 'Idempotency-Key'],
    ['no amount', { title: 'x' }, {}, 400, 'missing_field', 'amount'],
    ['a zero amount', refundBody('0.00'), {}, 400, 'invalid_field', 'amount.value'],
    ['a negative amount', refundBody('-5.00'), {}, 400, 'invalid_field', 'amount.value'],
    ['an amount as a number', { amount: { value: 10, currency: 'SEK' } }, {}, 400, 'invalid_field', 'amount.value'],
    ['too many decimals', refundBody('10.001'), {}, 400, 'invalid_field', 'amount.value'],
    ['another currency', { amount: { value: '10.00', currency: 'EUR' } }, {}, 400, 'invalid_field', 'amount.currency'],
    ['an unknown field', refundBody('10.00', { reason: 'x' }), {}, 400, 'unknown_field', 'reason'],
    ['rows that do not add up to the amount', refundBody('10.00', { rows: [{ description: 'Cup', quantity: '1', unitPrice: '9.00' }] }), {}, 400, 'invalid_field', 'rows'],
    ['malformed JSON', '{"amount":', {}, 400, 'invalid_json'],
  ];
  for (const [name, body, headers, status, code, field] of cases) {
    it(`should refuse ${name} with ${status} ${code}, writing nothing and asking SEQR nothing`, async () => {
      const ref = await paidInvoice();
      const before = await storedInvoice(stack, ref);
      await simulator(stack, 'DELETE', '/simulator/calls');
      const response = await post(stack, `/invoices/${ref}/refunds`, body, headers === undefined ? {} : { 'idempotency-key': randomUUID(), ...headers });
      await expectError(response, status, code, field);
      expect(await seqrCalls(stack)).toHaveLength(0);
      expect((await storedInvoice(stack, ref)).body).toEqual(before.body);
    });
  }

  it('should answer 404 for an unknown invoice and 401 without the shop key', async () => {
    await simulator(stack, 'DELETE', '/simulator/calls');
    await expectError(await refund('1234567890123', refundBody('10.00')), 404, 'not_found', 'invoiceReference');
    await expectError(await post(stack, '/invoices/1234567890123/refunds', refundBody('10.00'), { authorization: 'Bearer nope', 'idempotency-key': 'k' }), 401, 'unauthorized');
    expect(await seqrCalls(stack)).toHaveLength(0);
  });
});
