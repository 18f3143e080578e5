/**
 * Reconciliation reports (FACTS.md §6): executeReport over a period closed by
 * markTransactionPeriod. The XML goes out twice, as contentString and as the
 * same UTF-8 bytes in base64 (content), mimeType text/html as SEQR labels it.
 */
import { formatMoney, sumMoney, type Money } from './money.js';
import type { Code, SimulatorState, TransactionPeriod } from './state.js';

type RowKind = 'summary' | 'byTerminal' | 'details' | 'byCashier';

interface ReportDefinition {
  title: string;
  root: string;
  rows: RowKind;
  /** 006/007: one terminal's report; the period must have been marked for that TERMINALID. */
  perTerminal: boolean;
}

/**
 * 006 and 007 are documented only as "per terminal, as Shop.xml / 003", so they
 * reuse those roots and rows, with the terminal in Meta.
 */
export const REPORT_DEFINITIONS: Readonly<Record<string, ReportDefinition>> = {
  'Reconciliation/Shop.xml': { title: 'Shop transaction summary', root: 'ResellerTransactionSummary', rows: 'summary', perTerminal: false },
  'Reconciliation/STD_RECON_002.xml': { title: 'Transaction summary per terminal', root: 'TerminalTransactionSummary', rows: 'byTerminal', perTerminal: false },
  'Reconciliation/STD_RECON_003.xml': { title: 'Transaction details', root: 'TransactionDetails', rows: 'details', perTerminal: false },
  'Reconciliation/STD_RECON_004.xml': { title: 'Transaction summary per cashier', root: 'CashierTransactionSummary', rows: 'byCashier', perTerminal: false },
  'Reconciliation/STD_RECON_006.xml': { title: 'Terminal transaction summary', root: 'ResellerTransactionSummary', rows: 'summary', perTerminal: true },
  'Reconciliation/STD_RECON_007.xml': { title: 'Terminal transaction details', root: 'TransactionDetails', rows: 'details', perTerminal: true },
};

/** The code for a reportId, period or TERMINALID the simulator cannot report on. */
export const REPORT_REJECTED: Code = 10;

export interface Report {
  title: string;
  mimeType: string;
  content: string;
  contentString: string;
}

interface Sale {
  terminalId: string;
  cashierId: string;
  amount: Money;
  currency: string;
  ersReference: string;
}

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

function element(name: string, value: string): string {
  return `<${name}>${escapeXml(value)}</${name}>`;
}

function groupBy(sales: Sale[], key: (sale: Sale) => string): Map<string, Sale[]> {
  const groups = new Map<string, Sale[]>();
  for (const sale of sales) {
    const k = key(sale);
    groups.set(k, [...(groups.get(k) ?? []), sale]);
  }
  return groups;
}

function countAndTotal(sales: Sale[]): string {
  return element('SalesCount', String(sales.length)) + element('SalesTotal', formatMoney(sumMoney(sales.map((s) => s.amount))));
}

/** Rows never mix currencies: a second currency gets rows of its own. */
/** Summaries count sales only; the detail rows list refunds too (SEQR documents no refund rows: a simulator choice). */
function rows(kind: RowKind, sales: Sale[], refunds: Sale[]): string[] {
  switch (kind) {
    case 'summary': {
      if (sales.length === 0) return [countAndTotal([])];
      return [...groupBy(sales, (s) => s.currency).values()].map(countAndTotal);
    }
    case 'byTerminal':
      return [...groupBy(sales, (s) => `${s.terminalId}\n${s.currency}`).values()].map(
        (group) => element('TerminalId', group[0]!.terminalId) + countAndTotal(group),
      );
    case 'byCashier':
      return [...groupBy(sales, (s) => `${s.cashierId}\n${s.currency}`).values()].map(
        (group) => element('CashierId', group[0]!.cashierId) + countAndTotal(group),
      );
    case 'details':
      // Sales and, after them, refunds (a negative SalesAmount, the refund's ErsReference).
      return [...sales, ...refunds].map(
        (s) =>
          element('TerminalId', s.terminalId) +
          element('CashierId', s.cashierId) +
          element('SalesAmount', formatMoney(s.amount)) +
          element('ErsReference', s.ersReference),
      );
  }
}

export function renderReport(
  definition: ReportDefinition,
  meta: { resellerId: string; terminalId?: string; transactionPeriodId: string; generatedAt: Date },
  sales: Sale[],
  refunds: Sale[] = [],
): Report {
  const metaXml =
    element('ResellerId', meta.resellerId) +
    (definition.perTerminal && meta.terminalId !== undefined ? element('TerminalId', meta.terminalId) : '') +
    element('TransactionPeriodId', meta.transactionPeriodId) +
    element('GeneratedAt', meta.generatedAt.toISOString());
  const body = rows(definition.rows, sales, refunds)
    .map((row) => `<Row>${row}</Row>`)
    .join('');
  const contentString = `<?xml version="1.0" encoding="UTF-8"?><${definition.root}><Meta>${metaXml}</Meta>${body}</${definition.root}>`;
  return {
    title: definition.title,
    mimeType: 'text/html',
    content: Buffer.from(contentString, 'utf8').toString('base64'),
    contentString,
  };
}

function salesOf(state: SimulatorState, period: TransactionPeriod, terminalId?: string): Sale[] {
  const sales: Sale[] = [];
  for (const ref of period.invoiceReferences) {
    const invoice = state.find(ref);
    // A sale reversed after the mark is no sale.
    if (!invoice || !invoice.payment || invoice.status !== 'PAID') continue;
    if (terminalId !== undefined && invoice.terminalId !== terminalId) continue;
    sales.push({
      terminalId: invoice.terminalId,
      cashierId: invoice.invoice.cashierId ?? '',
      amount: invoice.total,
      currency: invoice.currency,
      ersReference: invoice.payment.ersReference,
    });
  }
  return sales;
}

const negate = (amount: Money): Money => ({ units: -amount.units, scale: amount.scale });

/** The period's refunds, as rows with a negative amount. */
function refundsOf(state: SimulatorState, period: TransactionPeriod, terminalId?: string): Sale[] {
  const rows: Sale[] = [];
  for (const { invoiceReference, ersReference } of period.refunds) {
    const invoice = state.find(invoiceReference);
    const refund = invoice?.refunds.find((r) => r.ersReference === ersReference);
    if (!invoice || !refund) continue;
    if (terminalId !== undefined && invoice.terminalId !== terminalId) continue;
    rows.push({
      terminalId: invoice.terminalId,
      cashierId: refund.cashierId ?? '',
      amount: negate(refund.amount),
      currency: invoice.currency,
      ersReference,
    });
  }
  return rows;
}

export function executeReport(
  state: SimulatorState,
  settings: { resellerId: string; reportNotReadyMs: number },
  reportId: string | undefined,
  parameters: Map<string, string>,
): { code: Code; report?: Report } {
  const definition = reportId === undefined ? undefined : REPORT_DEFINITIONS[reportId];
  if (!definition) return { code: REPORT_REJECTED };
  const period = state.period(parameters.get('transactionPeriodId'));
  if (!period) return { code: REPORT_REJECTED };
  const terminalId = parameters.get('TERMINALID') || undefined;
  if (definition.perTerminal && (terminalId === undefined || period.terminalId !== terminalId)) return { code: REPORT_REJECTED };
  if (Date.now() - period.markedAt < settings.reportNotReadyMs) return { code: 2 };
  const report = renderReport(
    definition,
    { resellerId: settings.resellerId, terminalId, transactionPeriodId: period.transactionPeriodId, generatedAt: new Date() },
    salesOf(state, period, terminalId),
    refundsOf(state, period, terminalId),
  );
  return { code: 0, report };
}
