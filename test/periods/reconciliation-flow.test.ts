/**
 * Closing the books on the local stack: the schedule's invoke reaches the
 * transaction-period function through the local Lambda endpoint (the AWS SDK's
 * InvokeCommand), which marks the period at the SEQR simulator over SOAP, waits
 * for its reports through code 2, stores them in dynalite and reconciles
 * STD_RECON_003 with the invoices our own routes stored.
 *
 * The tests run in order on one stack: SEQR's period holds every sale since the
 * previous mark, and so does ours.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSeqrClient } from '../../src/adapters/seqr/client.js';
import { REPORT_PENDING_MESSAGE, RECONCILIATION_DIFFERENCE_MESSAGE, RECONCILIATION_SUMMARY_MESSAGE } from '../../src/core/periods/messages.js';
import { createInvoice, seqrCalls, simulator, startTestStack, type LocalStack } from '../support/local-stack.js';
import { executeReportCalls, jsonLines, paidInvoice, refundThroughRoute, scheduledRun, setStoredRefundAmount, setStoredTotal, shopGet, storedPaid, storedRefund } from './helpers.js';

const SHOP = 'Reconciliation/Shop.xml';
const DETAIL = 'Reconciliation/STD_RECON_003.xml';

let stack: LocalStack & { logs: string[] };

beforeAll(async () => {
  stack = await startTestStack({
    // Reports are not ready for 400 ms after the mark: the first executeReport (after a 100 ms pause) answers 2.
    simulator: { reportNotReadyMs: 400 },
    env: {
      TRANSACTION_PERIOD_REPORT_PAUSE_MS: '100',
      TRANSACTION_PERIOD_REPORT_RETRY_MS: '150',
      SEQR_TIMEOUT_MS: '2000',
    },
  });
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await simulator(stack, 'DELETE', '/simulator/calls');
  await simulator(stack, 'DELETE', '/simulator/faults');
  stack.logs.length = 0;
  delete process.env.TRANSACTION_PERIOD_REPORT_MAX_WAIT_MS;
});

describe('When the schedule closes a clean day', () => {
  it('should mark once, store both reports after a code-2 answer, and find no difference', async () => {
    const paid = [await paidInvoice(stack), await paidInvoice(stack)];
    const unpaid = await createInvoice(stack);
    const canceled = await createInvoice(stack);
    await simulator(stack, 'POST', `/simulator/invoices/${canceled.invoiceReference}/cancel`);
    // SEQR's first answer to each report is "not ready" however slow this machine is: the two first asks go out together.
    await simulator(stack, 'POST', '/simulator/faults', { operation: 'executeReport', kind: 'resultCode', code: 2, count: 2 });

    const { result, error } = await scheduledRun(stack, '2032-01-10T23:00:00Z');
    expect(error).toBeUndefined();
    expect(result).toMatchObject({
      outcome: 'marked',
      slot: '2032-01-10T23:00Z',
      transactionPeriodId: expect.stringMatching(/^\d{25}$/),
      reports: { [SHOP]: 'ready', [DETAIL]: 'ready' },
      reconciliation: { state: 'done', matched: 2, differences: 0 },
    });
    expect(await seqrCalls(stack, 'markTransactionPeriod')).toHaveLength(1);
    const reportCalls = await executeReportCalls(stack);
    expect(reportCalls.filter((call) => call.resultCode === 2).length).toBeGreaterThanOrEqual(2);
    expect(reportCalls.filter((call) => call.resultCode === 0)).toHaveLength(2);

    const period = await shopGet(stack, `/transaction-periods/${result!.transactionPeriodId}`);
    expect(period.status).toBe(200);
    expect(period.body).toMatchObject({ slot: '2032-01-10T23:00Z', state: 'done', assignedInvoices: 2, differences: [] });
    for (const id of [SHOP, DETAIL]) {
      expect(period.body.reports[id]).toMatchObject({ state: 'ready', lastResultCode: 0 });
      // Each report answered "not ready" at least once before it was stored.
      expect(period.body.reports[id].notReadyAnswers, id).toBeGreaterThanOrEqual(1);
    }
    expect(period.body.reconciliation).toMatchObject({
      state: 'done',
      reportId: DETAIL,
      seqrRows: 2,
      storedInvoices: 2,
      matched: 2,
      differences: 0,
      seqrSalesTotal: '125.00',
      storedTotals: { SEK: '125.00' },
    });

    // The detail report as stored: SEQR's rows, with the ersReferences our store has.
    const detail = await shopGet(stack, `/transaction-periods/${result!.transactionPeriodId}/reports/STD_RECON_003.xml`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ reportId: DETAIL, state: 'ready', root: 'TransactionDetails', meta: { TransactionPeriodId: result!.transactionPeriodId } });
    expect(detail.body.rows.map((row: Record<string, string>) => row.ErsReference).sort()).toEqual(paid.map((p) => p.ersReference).sort());
    expect(detail.body.rows.every((row: Record<string, string>) => row.SalesAmount === '62.50')).toBe(true);
    expect(detail.body.contentString).toContain('<TransactionDetails>');
    expect(Buffer.from(detail.body.content, 'base64').toString('utf8')).toBe(detail.body.contentString);
    const shop = await shopGet(stack, `/transaction-periods/2032-01-10T23:00Z/reports/${encodeURIComponent(SHOP)}`);
    expect(shop.body).toMatchObject({ reportId: SHOP, root: 'ResellerTransactionSummary', rows: [{ SalesCount: '2', SalesTotal: '125.00' }] });

    expect(jsonLines(stack.logs, RECONCILIATION_DIFFERENCE_MESSAGE)).toEqual([]);
    expect(jsonLines(stack.logs, RECONCILIATION_SUMMARY_MESSAGE)).toEqual([
      expect.objectContaining({ level: 'info', transactionPeriodId: result!.transactionPeriodId, matched: 2, differences: 0 }),
    ]);
    // Invoices that were never paid are in no period.
    expect((await shopGet(stack, `/invoices/${unpaid.invoiceReference}`)).body.status).toBe('ISSUED');
  });
});

describe('When our store and SEQR disagree about a day', () => {
  it('should find, store and log each seeded difference, and match the rest', async () => {
    const clean = await paidInvoice(stack);

    // 1. An invoice stored PAID that SEQR never took.
    const onlyOurs = await storedPaid();

    // 2. A sale SEQR took that our store never heard of (another system on our terminal, or a lost store write).
    const seqr = createSeqrClient();
    const sent = await seqr.sendInvoice({ title: 'Elsewhere', totalAmount: { currency: 'SEK', value: '7.25' }, invoiceRows: [] });
    await simulator(stack, 'POST', `/simulator/invoices/${sent.invoiceReference}/pay`);
    const onlySeqrs = await seqr.getPaymentStatus(sent.invoiceReference);
    expect(onlySeqrs.status).toBe('PAID');

    // 3. An amount that differs: SEQR took 62.50, our store says 60.00.
    const otherAmount = await paidInvoice(stack);
    await setStoredTotal(stack, otherAmount.invoiceReference, '60.00');

    // 4. Stored PAID, but SEQR has the invoice as CANCELED.
    const canceled = await createInvoice(stack);
    await simulator(stack, 'POST', `/simulator/invoices/${canceled.invoiceReference}/cancel`);
    const wrongStatus = await storedPaid(canceled.invoiceReference);

    const { result } = await scheduledRun(stack, '2032-01-11T23:00:00Z');
    expect(result).toMatchObject({ outcome: 'marked', reconciliation: { state: 'done', matched: 1, differences: 4 } });

    const period = await shopGet(stack, `/transaction-periods/${result!.transactionPeriodId}`);
    expect(period.body.reconciliation.byKind).toEqual({ missing_on_our_side: 1, missing_on_seqr_side: 1, amount_mismatch: 1, status_mismatch: 1 });
    const differences = period.body.differences as Record<string, string>[];
    expect(differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'missing_on_seqr_side', invoiceReference: onlyOurs.invoiceReference, ersReference: onlyOurs.ersReference, storedAmount: '10.00' }),
        expect.objectContaining({ kind: 'missing_on_our_side', ersReference: onlySeqrs.ersReference, seqrAmount: '7.25' }),
        expect.objectContaining({ kind: 'amount_mismatch', invoiceReference: otherAmount.invoiceReference, storedAmount: '60.00', seqrAmount: '62.50' }),
        expect.objectContaining({ kind: 'status_mismatch', invoiceReference: wrongStatus.invoiceReference, storedStatus: 'PAID', seqrStatus: 'CANCELED' }),
      ]),
    );
    expect(differences.some((d) => d.invoiceReference === clean.invoiceReference)).toBe(false);

    // One alarm line per difference, naming what to look at; one summary line for the period.
    const lines = jsonLines(stack.logs, RECONCILIATION_DIFFERENCE_MESSAGE);
    expect(lines).toHaveLength(4);
    expect(lines.map((line) => line.kind).sort()).toEqual(['amount_mismatch', 'missing_on_our_side', 'missing_on_seqr_side', 'status_mismatch']);
    for (const line of lines) expect(line).toMatchObject({ level: 'warn', transactionPeriodId: result!.transactionPeriodId, slot: '2032-01-11T23:00Z' });
    expect(lines.find((line) => line.kind === 'missing_on_our_side')).toMatchObject({ ersReference: onlySeqrs.ersReference });
    expect(lines.find((line) => line.kind === 'amount_mismatch')).toMatchObject({ invoiceReference: otherAmount.invoiceReference });
    expect(jsonLines(stack.logs, RECONCILIATION_SUMMARY_MESSAGE)).toEqual([
      expect.objectContaining({ level: 'warn', differences: 4, matched: 1, byKind: { missing_on_our_side: 1, missing_on_seqr_side: 1, amount_mismatch: 1, status_mismatch: 1 } }),
    ]);
  });
});

describe('When the schedule delivers the same slot twice', () => {
  it('should mark once and fetch and store each report once', async () => {
    await paidInvoice(stack);
    const slot = '2032-01-12T23:00:00Z';
    const [first, second] = await Promise.all([scheduledRun(stack, slot), scheduledRun(stack, slot)]);
    const third = await scheduledRun(stack, slot);

    expect([first, second].filter((run) => run.result?.outcome === 'marked')).toHaveLength(1);
    // The other one saw the claim (and failed, for Lambda to retry) or the marked period.
    for (const run of [first, second]) {
      if (run.error) expect(run.error.errorType).toBe('TransactionPeriodInProgressError');
      else expect(['marked', 'already-marked']).toContain(run.result!.outcome);
    }
    expect(third.result).toMatchObject({ outcome: 'already-marked', reports: { [SHOP]: 'ready', [DETAIL]: 'ready' }, reconciliation: { differences: 0 } });

    expect(await seqrCalls(stack, 'markTransactionPeriod')).toHaveLength(1);
    expect((await executeReportCalls(stack)).filter((call) => call.resultCode === 0)).toHaveLength(2);
    expect(jsonLines(stack.logs, 'transaction period report stored')).toHaveLength(2);
    expect(jsonLines(stack.logs, RECONCILIATION_SUMMARY_MESSAGE)).toHaveLength(1);
  });
});

describe('When refunds were made in the period', () => {
  it('should compare the report’s refund rows with our refunds: matched, missing on either side, amount mismatch', async () => {
    // 1. A refund through our route: SEQR lists it, we stored it alike.
    const clean = await paidInvoice(stack);
    const cleanRefund = await refundThroughRoute(stack, clean.invoiceReference, '12.50');
    // 2. A refund SEQR made that our store never heard of (made elsewhere on our terminal).
    const elsewhere = await paidInvoice(stack);
    const onlySeqrs = await createSeqrClient().refundPayment(elsewhere.ersReference, { title: 'Elsewhere', totalAmount: { currency: 'SEK', value: '5.00' } });
    // 3. A refund our store has as SUCCEEDED that SEQR never made.
    const seeded = await paidInvoice(stack);
    const onlyOursErs = `8${String(Date.now()).padStart(24, '0')}`;
    const onlyOurs = await storedRefund(seeded.invoiceReference, '3.00', onlyOursErs);
    // 4. A refund whose stored amount differs from what SEQR refunded.
    const differs = await paidInvoice(stack);
    const differsRefund = await refundThroughRoute(stack, differs.invoiceReference, '10.00');
    await setStoredRefundAmount(stack, differs.invoiceReference, differsRefund.refundId, '9.00');

    const { result } = await scheduledRun(stack, '2032-01-12T23:30:00Z');
    expect(result).toMatchObject({ outcome: 'marked', reconciliation: { state: 'done', matched: 4, differences: 3 } });
    const period = await shopGet(stack, `/transaction-periods/${result!.transactionPeriodId}`);
    expect(period.body.reconciliation).toMatchObject({
      refundRows: 3,
      storedRefunds: 3,
      matchedRefunds: 1,
      byKind: { missing_on_our_side: 1, missing_on_seqr_side: 1, amount_mismatch: 1, status_mismatch: 0 },
    });
    const differences = period.body.differences as Record<string, string>[];
    expect(differences).toHaveLength(3);
    expect(differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'missing_on_our_side', subject: 'refund', ersReference: onlySeqrs.ersReference, seqrAmount: '-5.00' }),
        expect.objectContaining({ kind: 'missing_on_seqr_side', subject: 'refund', invoiceReference: seeded.invoiceReference, refundId: onlyOurs.refundId, ersReference: onlyOursErs, storedAmount: '3.00' }),
        expect.objectContaining({
          kind: 'amount_mismatch',
          subject: 'refund',
          invoiceReference: differs.invoiceReference,
          refundId: differsRefund.refundId,
          ersReference: differsRefund.ersReference,
          storedAmount: '9.00',
          seqrAmount: '-10.00',
        }),
      ]),
    );
    expect(differences.some((d) => d.ersReference === cleanRefund.ersReference || d.invoiceReference === clean.invoiceReference)).toBe(false);
    // The detail report as stored lists the refunds after the sales.
    const rows = (await shopGet(stack, `/transaction-periods/${result!.transactionPeriodId}/reports/STD_RECON_003.xml`)).body.rows as Record<string, string>[];
    expect(rows.filter((row) => row.SalesAmount?.startsWith('-')).map((row) => row.ErsReference).sort()).toEqual(
      [cleanRefund.ersReference, onlySeqrs.ersReference, differsRefund.ersReference].sort(),
    );

    // One alarm line per difference, refunds named as such; the summary counts them.
    const lines = jsonLines(stack.logs, RECONCILIATION_DIFFERENCE_MESSAGE);
    expect(lines.map((line) => `${line.subject}:${line.kind}`).sort()).toEqual(['refund:amount_mismatch', 'refund:missing_on_our_side', 'refund:missing_on_seqr_side']);
    expect(jsonLines(stack.logs, RECONCILIATION_SUMMARY_MESSAGE)).toEqual([expect.objectContaining({ level: 'warn', differences: 3, storedRefunds: 3, matchedRefunds: 1, refundRows: 3 })]);

    // The next period starts after this one's mark: none of these refunds is compared again.
    const next = await scheduledRun(stack, '2032-01-12T23:45:00Z');
    expect(next.result).toMatchObject({ outcome: 'marked', reconciliation: { state: 'done', differences: 0 } });
    expect((await shopGet(stack, `/transaction-periods/${next.result!.transactionPeriodId}`)).body.reconciliation).toMatchObject({ refundRows: 0, storedRefunds: 0 });
  });
});

describe('When a report never becomes ready', () => {
  it('should leave the period marked and the reports pending and alarmed, for the next run to fetch', async () => {
    const paid = await paidInvoice(stack);
    // Ask again for at most 2 s after a report's first ask in this run; SEQR answers 2 to every ask.
    process.env.TRANSACTION_PERIOD_REPORT_MAX_WAIT_MS = '2000';
    await simulator(stack, 'POST', '/simulator/faults', { operation: 'executeReport', kind: 'resultCode', code: 2, count: 1000 });

    const stuck = await scheduledRun(stack, '2032-01-13T23:00:00Z');
    expect(stuck.error).toBeUndefined();
    expect(stuck.result).toMatchObject({ outcome: 'marked', reports: { [SHOP]: 'pending', [DETAIL]: 'pending' } });
    expect(stuck.result!.reconciliation).toBeUndefined();
    const id = stuck.result!.transactionPeriodId as string;
    // Asked, answered 2, asked again (every 150 ms), then given up, each report on its own bound.
    const asks = (await simulator(stack, 'GET', '/simulator/calls?operation=executeReport')).body.calls as { resultCode: number; receivedAtMs: number }[];
    expect(asks.length).toBeGreaterThanOrEqual(4);
    expect(asks.every((call) => call.resultCode === 2)).toBe(true);

    const period = await shopGet(stack, `/transaction-periods/${id}`);
    expect(period.body).toMatchObject({ state: 'pending', transactionPeriodId: id, reconciliation: null });
    for (const reportId of [SHOP, DETAIL]) {
      expect(period.body.reports[reportId]).toMatchObject({ state: 'pending', lastResultCode: 2 });
      expect(period.body.reports[reportId].attempts, reportId).toBeGreaterThanOrEqual(2);
      expect(period.body.reports[reportId].notReadyAnswers, reportId).toBe(period.body.reports[reportId].attempts);
    }
    const pending = await shopGet(stack, `/transaction-periods/${id}/reports/STD_RECON_003.xml`);
    expect(pending.body).toMatchObject({ state: 'pending', lastResultCode: 2 });
    expect(pending.body.rows).toBeUndefined();
    // The alarm's log line, once per pending report.
    const alarmed = jsonLines(stack.logs, REPORT_PENDING_MESSAGE);
    expect(alarmed.map((line) => line.reportId).sort()).toEqual([SHOP, DETAIL].sort());
    for (const line of alarmed) expect(line).toMatchObject({ level: 'error', transactionPeriodId: id, lastResultCode: 2 });

    // SEQR catches up. The next scheduled run marks its own period and, however long that took, asks for the
    // earlier period's reports at least once: here with no wait at all (0), so nothing depends on timing.
    await simulator(stack, 'DELETE', '/simulator/faults');
    process.env.TRANSACTION_PERIOD_REPORT_MAX_WAIT_MS = '0';
    stack.logs.length = 0;
    const next = await scheduledRun(stack, '2032-01-14T23:00:00Z');
    expect(next.error).toBeUndefined();
    expect(next.result).toMatchObject({
      outcome: 'marked',
      earlier: [{ slot: '2032-01-13T23:00Z', transactionPeriodId: id, reports: { [SHOP]: 'ready', [DETAIL]: 'ready' }, reconciliation: { state: 'done', matched: 1, differences: 0 } }],
    });
    expect(await seqrCalls(stack, 'markTransactionPeriod')).toHaveLength(2);
    const done = await shopGet(stack, `/transaction-periods/${id}`);
    expect(done.body).toMatchObject({ state: 'done', reconciliation: { matched: 1, differences: 0 } });
    for (const reportId of [SHOP, DETAIL]) expect(done.body.reports[reportId]).toMatchObject({ state: 'ready', lastResultCode: 0 });
    const rows = (await shopGet(stack, `/transaction-periods/${id}/reports/STD_RECON_003.xml`)).body.rows as Record<string, string>[];
    expect(rows.map((row) => row.ErsReference)).toEqual([paid.ersReference]);
    expect(jsonLines(stack.logs, REPORT_PENDING_MESSAGE).filter((line) => line.transactionPeriodId === id)).toEqual([]);

    // The new period's reports, pending or not after one ask, are done by the run after (explicit, unbounded).
    delete process.env.TRANSACTION_PERIOD_REPORT_MAX_WAIT_MS;
    const newer = next.result!.transactionPeriodId as string;
    const third = await scheduledRun(stack, '2032-01-14T23:00:00Z');
    expect(third.result).toMatchObject({ outcome: 'already-marked', transactionPeriodId: newer, reports: { [SHOP]: 'ready', [DETAIL]: 'ready' }, reconciliation: { state: 'done' } });
    expect(await seqrCalls(stack, 'markTransactionPeriod')).toHaveLength(2);
  });
});
