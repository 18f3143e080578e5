/**
 * The shop's period routes on the local stack: POST answers 202 while the
 * transaction-period function runs on (an asynchronous invoke through the
 * local Lambda endpoint), the list pages newest first, a period is found by its
 * id or slot, and a report by its short or percent-encoded id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, post, simulator, startTestStack, type LocalStack } from '../support/local-stack.js';
import { paidInvoice, scheduledRun, shopGet } from './helpers.js';

let stack: LocalStack & { logs: string[] };

beforeAll(async () => {
  stack = await startTestStack({
    simulator: { reportNotReadyMs: 300 },
    // The pause keeps the asynchronous run busy for a moment after the 202.
    env: { TRANSACTION_PERIOD_REPORT_PAUSE_MS: '400', TRANSACTION_PERIOD_REPORT_RETRY_MS: '100', SEQR_TIMEOUT_MS: '2000' },
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('When the shop closes a period by hand', () => {
  it('should answer 202 with the slot at once and mark, fetch and reconcile after', async () => {
    const paid = await paidInvoice(stack);
    const before = Date.now();
    const response = await post(stack, '/transaction-periods', '');
    const answeredAt = Date.now();
    expect(response.status).toBe(202);
    const body = (await response.json()) as { slot: string };
    expect(body).toEqual({ slot: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/) });
    expect(response.headers.get('location')).toBe(`/transaction-periods/${body.slot}`);
    // The slot is the current minute (the answer may straddle a minute boundary).
    const minutes = [before, answeredAt].map((ms) => `${new Date(ms).toISOString().slice(0, 16)}Z`);
    expect(minutes).toContain(body.slot);
    // The function is still running: it waits the pause before its first executeReport.
    expect(stack.lambda.running()).toBe(1);

    const done = await eventually(async () => {
      const period = await shopGet(stack, `/transaction-periods/${body.slot}`);
      return period.status === 200 && period.body.state === 'done' ? period.body : undefined;
    }, 10_000);
    expect(done).toMatchObject({ slot: body.slot, transactionPeriodId: expect.stringMatching(/^\d{25}$/), reconciliation: { matched: 1, differences: 0 } });
    const rows = (await shopGet(stack, `/transaction-periods/${body.slot}/reports/STD_RECON_003.xml`)).body.rows as { ErsReference: string }[];
    expect(rows.map((row) => row.ErsReference)).toEqual([paid.ersReference]);
  });

  it('should refuse a request without the shop key and start nothing', async () => {
    await simulator(stack, 'DELETE', '/simulator/calls');
    const response = await post(stack, '/transaction-periods', '', { authorization: 'Bearer wrong' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const bare = await fetch(`${stack.httpUrl}/transaction-periods`);
    expect(bare.status).toBe(401);
    expect(stack.lambda.running()).toBe(0);
    expect((await simulator(stack, 'GET', '/simulator/calls?operation=markTransactionPeriod')).body.calls).toEqual([]);
  });
});

describe('When the shop lists its periods', () => {
  const slots = ['2033-03-01T23:00Z', '2033-03-02T23:00Z', '2033-03-03T23:00Z'];
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    for (const slot of slots) {
      const { result } = await scheduledRun(stack, slot);
      ids[slot] = result!.transactionPeriodId;
    }
  });

  it('should give them newest first, a page at a time, with a cursor to the next page', async () => {
    const first = await shopGet(stack, '/transaction-periods?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.periods.map((p: { slot: string }) => p.slot)).toEqual(['2033-03-03T23:00Z', '2033-03-02T23:00Z']);
    expect(first.body.periods[0]).toEqual({
      slot: '2033-03-03T23:00Z',
      transactionPeriodId: ids['2033-03-03T23:00Z'],
      markedAt: expect.any(String),
      state: 'done',
      reports: { 'Reconciliation/Shop.xml': 'ready', 'Reconciliation/STD_RECON_003.xml': 'ready' },
      reconciliation: expect.objectContaining({ state: 'done', differences: 0 }),
    });
    expect(first.body.nextCursor).toEqual(expect.any(String));

    const second = await shopGet(stack, `/transaction-periods?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    const seen = second.body.periods.map((p: { slot: string }) => p.slot);
    expect(seen[0]).toBe('2033-03-01T23:00Z');
    // Older ones (the hand-closed period of the test above) follow; nothing repeats.
    expect(seen).not.toContain('2033-03-02T23:00Z');
    expect(seen.every((slot: string) => slot < '2033-03-02T23:00Z')).toBe(true);

    const all = await shopGet(stack, '/transaction-periods');
    expect(all.body.nextCursor).toBeUndefined();
    const order = all.body.periods.map((p: { slot: string }) => p.slot);
    expect(order).toEqual([...order].sort().reverse());
    // A page that ends exactly at the last period says there is no next one.
    const exact = await shopGet(stack, `/transaction-periods?limit=${order.length}`);
    expect(exact.body.periods).toHaveLength(order.length);
    expect(exact.body.nextCursor).toBeUndefined();
  });

  it('should refuse a cursor it never gave out, and a limit out of range, naming the field', async () => {
    expect(await shopGet(stack, '/transaction-periods?cursor=bm9wZQ')).toMatchObject({ status: 400, body: { error: { code: 'invalid_cursor', field: 'cursor' } } });
    expect(await shopGet(stack, '/transaction-periods?cursor=%7B%7D')).toMatchObject({ status: 400, body: { error: { field: 'cursor' } } });
    for (const limit of ['0', '101', 'ten', '1.5']) {
      expect(await shopGet(stack, `/transaction-periods?limit=${limit}`), limit).toMatchObject({ status: 400, body: { error: { code: 'invalid_limit', field: 'limit' } } });
    }
  });

  it('should find one period by its transactionPeriodId and by its slot, and 404 anything else', async () => {
    const slot = '2033-03-02T23:00Z';
    const byId = await shopGet(stack, `/transaction-periods/${ids[slot]}`);
    const bySlot = await shopGet(stack, `/transaction-periods/${slot}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(bySlot.body);
    expect(byId.body).toMatchObject({ slot, transactionPeriodId: ids[slot], attempts: 1, differences: [], reports: { 'Reconciliation/Shop.xml': { state: 'ready' } } });
    for (const id of ['0000000000000000000000000', '2033-03-09T23:00Z', 'doc%23' + slot + '%23differences%230', 'nope']) {
      expect(await shopGet(stack, `/transaction-periods/${id}`), id).toMatchObject({ status: 404, body: { error: { code: 'not_found', field: 'id' } } });
    }
  });

  it('should serve a report by its short name or its percent-encoded id, and 404 an unknown one', async () => {
    const slot = '2033-03-01T23:00Z';
    const short = await shopGet(stack, `/transaction-periods/${slot}/reports/Shop.xml`);
    const encoded = await shopGet(stack, `/transaction-periods/${ids[slot]}/reports/Reconciliation%2FShop.xml`);
    expect(short.status).toBe(200);
    expect(short.body).toEqual(encoded.body);
    expect(short.body).toMatchObject({ reportId: 'Reconciliation/Shop.xml', state: 'ready', mimeType: 'text/html', rows: [{ SalesCount: '0', SalesTotal: '0.00' }] });
    for (const reportId of ['STD_RECON_002.xml', 'Reconciliation%2FNope.xml', 'Reconciliation']) {
      expect(await shopGet(stack, `/transaction-periods/${slot}/reports/${reportId}`), reportId).toMatchObject({ status: 404, body: { error: { field: 'reportId' } } });
    }
  });
});
