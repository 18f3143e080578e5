import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../local/seqr-simulator/index.js';
import { invoice, OTHER_SHOP, pay, resellerContext, Seqr, sleep, startSimulator, terminalContext } from './helpers.js';

const NOT_READY_MS = 150;

describe('reconciliation reports', () => {
  let sim: RunningSimulator;
  let seqr: Seqr;

  beforeAll(async () => {
    sim = await startSimulator({ reportNotReadyMs: NOT_READY_MS });
    seqr = await Seqr.connect(sim);
  });
  afterAll(() => sim.stop());

  const params = (entries: Record<string, string>) => ({
    parameter: { entry: Object.entries(entries).map(([key, value]) => ({ key, value })) },
  });
  const mark = (entries?: Record<string, string>) =>
    seqr.call('markTransactionPeriod', { context: resellerContext(), ...(entries ? { parameters: params(entries) } : {}) });
  const report = (reportId: string, entries: Record<string, string>) =>
    seqr.call('executeReport', { context: resellerContext(), reportId, language: 'en', parameters: params(entries) });

  async function sale(total: string, cashierId: string, terminal = terminalContext()) {
    const ref = await seqr.issue(invoice({ total, cashierId }), terminal);
    await pay(sim, ref);
    return (await seqr.status(ref, terminal)).ersReference as string;
  }

  it('closes a period over the paid sales since the last mark, then reports them after the not-ready delay', async () => {
    const first = await sale('0.10', 'anna');
    const second = await sale('0.20', 'bo');
    await seqr.issue(); // unpaid: not a sale
    const marked = await mark();
    expect(marked.resultCode).toBe(0);
    expect(marked.transactionPeriodId).toMatch(/^\d{25}$/);
    const period = marked.transactionPeriodId as string;

    const early = await report('Reconciliation/Shop.xml', { transactionPeriodId: period });
    expect(early).toMatchObject({ resultCode: 2, resultDescription: 'REPORT_NOT_READY' });
    expect(early.report).toBeUndefined();

    await sleep(NOT_READY_MS + 50);
    const shop = await report('Reconciliation/Shop.xml', { transactionPeriodId: period });
    expect(shop.resultCode).toBe(0);
    expect(shop.report.mimeType).toBe('text/html');
    expect(shop.report.title).toBeTypeOf('string');
    const xml = shop.report.contentString as string;
    expect(xml).toMatch(
      new RegExp(
        `<ResellerTransactionSummary><Meta><ResellerId>local-reseller</ResellerId><TransactionPeriodId>${period}</TransactionPeriodId>` +
          '<GeneratedAt>[^<]+</GeneratedAt></Meta><Row><SalesCount>2</SalesCount><SalesTotal>0.30</SalesTotal></Row></ResellerTransactionSummary>$',
      ),
    );
    expect(Buffer.from(shop.report.content as string, 'base64').toString('utf8')).toBe(xml);

    const details = await report('Reconciliation/STD_RECON_003.xml', { transactionPeriodId: period });
    const detailXml = details.report.contentString as string;
    expect(detailXml).toContain('<TransactionDetails><Meta>');
    expect(detailXml).toContain(`<Row><TerminalId>local-webshop</TerminalId><CashierId>anna</CashierId><SalesAmount>0.10</SalesAmount><ErsReference>${first}</ErsReference></Row>`);
    expect(detailXml).toContain(`<ErsReference>${second}</ErsReference>`);

    const cashiers = (await report('Reconciliation/STD_RECON_004.xml', { transactionPeriodId: period })).report.contentString as string;
    expect(cashiers).toContain('<CashierTransactionSummary>');
    expect(cashiers).toContain('<Row><CashierId>anna</CashierId><SalesCount>1</SalesCount><SalesTotal>0.10</SalesTotal></Row>');
    expect(cashiers).toContain('<Row><CashierId>bo</CashierId><SalesCount>1</SalesCount><SalesTotal>0.20</SalesTotal></Row>');

    // The next period starts empty: those sales are closed.
    const next = await mark();
    await sleep(NOT_READY_MS + 50);
    const empty = (await report('Reconciliation/Shop.xml', { transactionPeriodId: next.transactionPeriodId })).report.contentString as string;
    expect(empty).toContain('<Row><SalesCount>0</SalesCount><SalesTotal>0.00</SalesTotal></Row>');
  });

  it('summarises per terminal in STD_RECON_002 and per one terminal in STD_RECON_006/007', async () => {
    await sale('5.00', 'web');
    await sale('7.50', 'web', terminalContext(OTHER_SHOP));
    const all = await mark();
    const otherPeriod = await (async () => {
      await sale('1.25', 'web', terminalContext(OTHER_SHOP));
      return mark({ TERMINALID: OTHER_SHOP.terminalId });
    })();
    await sleep(NOT_READY_MS + 50);

    const perTerminal = (await report('Reconciliation/STD_RECON_002.xml', { transactionPeriodId: all.transactionPeriodId })).report.contentString as string;
    expect(perTerminal).toContain('<TerminalTransactionSummary>');
    expect(perTerminal).toContain('<Row><TerminalId>local-webshop</TerminalId><SalesCount>1</SalesCount><SalesTotal>5.00</SalesTotal></Row>');
    expect(perTerminal).toContain('<Row><TerminalId>other-webshop</TerminalId><SalesCount>1</SalesCount><SalesTotal>7.50</SalesTotal></Row>');

    const terminalSummary = await report('Reconciliation/STD_RECON_006.xml', { transactionPeriodId: otherPeriod.transactionPeriodId, TERMINALID: 'other-webshop' });
    expect(terminalSummary.resultCode).toBe(0);
    expect(terminalSummary.report.contentString).toContain('<TerminalId>other-webshop</TerminalId>');
    expect(terminalSummary.report.contentString).toContain('<Row><SalesCount>1</SalesCount><SalesTotal>1.25</SalesTotal></Row>');
    const terminalDetails = await report('Reconciliation/STD_RECON_007.xml', { transactionPeriodId: otherPeriod.transactionPeriodId, TERMINALID: 'other-webshop' });
    expect(terminalDetails.report.contentString).toContain('<SalesAmount>1.25</SalesAmount>');

    // 006/007 need the period to have been marked for that TERMINALID.
    expect((await report('Reconciliation/STD_RECON_006.xml', { transactionPeriodId: all.transactionPeriodId, TERMINALID: 'other-webshop' })).resultCode).toBe(10);
  });

  it('answers 10 REJECTED_BUSINESS_LOGIC for an unknown reportId or transactionPeriodId', async () => {
    const marked = await mark();
    await sleep(NOT_READY_MS + 50);
    expect(await report('Reconciliation/NoSuch.xml', { transactionPeriodId: marked.transactionPeriodId })).toMatchObject({
      resultCode: 10,
      resultDescription: 'REJECTED_BUSINESS_LOGIC',
    });
    expect((await report('Reconciliation/Shop.xml', { transactionPeriodId: '0000000000000000000000000' })).resultCode).toBe(10);
  });
});
