/**
 * Reconciliation: what SEQR says it took in a period (the detail report's rows,
 * ErsReference and SalesAmount) against the PAID invoices of that period in
 * our store.
 *
 * Which of our invoices belong to a period: those stored PAID before the run
 * asked SEQR to mark it (markRequestedAt) and in no earlier period, as SEQR's
 * period holds the sales not yet in one; plus any still-open invoice whose
 * ersReference SEQR lists (stored PAID a moment after SEQR closed the period).
 *
 * Differences:
 * - missing_on_our_side: SEQR lists a sale we have no PAID invoice for;
 * - missing_on_seqr_side: we have a PAID invoice SEQR's report lacks (and SEQR still says PAID, or cannot be asked);
 * - amount_mismatch: both have it, the amounts differ (compared exactly);
 * - status_mismatch: we have it PAID, the report lacks it and getPaymentStatus says otherwise (e.g. reversed).
 *
 * Refunds the same way, as differences with `subject: 'refund'`: the report's
 * refund rows (a negative SalesAmount; ErsReference is the refund's) against our
 * SUCCEEDED refunds of the period, those completed after the previous period's
 * markRequestedAt and up to this one's (plus a later one SEQR lists already):
 * missing on our side, missing on SEQR's side, amount mismatch (|SalesAmount|
 * against our refund's amount, exactly).
 */
import { SeqrError } from '../seqr/errors.js';
import {
  DIFFERENCE_KINDS,
  type Difference,
  type DifferenceKind,
  type PeriodDeps,
  type PeriodInvoice,
  type PeriodRefund,
  type ReconciliationSummary,
  type StoredPeriod,
  type StoredReport,
} from './ports.js';

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

interface Scaled {
  units: bigint;
  scale: number;
}

/** An exact decimal as an integer and a scale, or undefined when it is not one. */
export function parseDecimal(text: string | undefined): Scaled | undefined {
  const match = DECIMAL.exec((text ?? '').trim());
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match;
  const units = BigInt(whole! + fraction);
  return { units: sign ? -units : units, scale: fraction.length };
}

function rescale(value: Scaled, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

export function addDecimal(a: Scaled, b: Scaled): Scaled {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export function decimalsEqual(a: Scaled, b: Scaled): boolean {
  const scale = Math.max(a.scale, b.scale);
  return rescale(a, scale) === rescale(b, scale);
}

export function formatDecimal(value: Scaled, minScale = 2): string {
  const scale = Math.max(value.scale, minScale);
  const units = rescale(value, scale);
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

const ZERO: Scaled = { units: 0n, scale: 0 };

/** The sale rows of SEQR's detail report, summed per ersReference. */
interface SeqrSale {
  ersReference: string;
  amount: Scaled | undefined;
  amountText: string;
  terminalId?: string;
  rows: number;
}

export interface ComparedRows {
  sales: Map<string, SeqrSale>;
  /** Refund rows by the refund's ersReference, amounts as SEQR lists them (negative). */
  refunds: Map<string, SeqrSale>;
  otherTerminalRows: number;
  refundRows: number;
  unreadable: Record<string, string>[];
}

/** Sorts the report's rows: our terminal's sales, other terminals', refunds, and rows without a reference. */
export function saleRows(rows: readonly Record<string, string>[], terminalId: string): ComparedRows {
  const sales = new Map<string, SeqrSale>();
  const refunds = new Map<string, SeqrSale>();
  let otherTerminalRows = 0;
  let refundRows = 0;
  const unreadable: Record<string, string>[] = [];
  for (const row of rows) {
    const rowTerminal = row.TerminalId?.trim();
    if (rowTerminal && rowTerminal !== terminalId) {
      otherTerminalRows++;
      continue;
    }
    const ersReference = row.ErsReference?.trim();
    const amount = parseDecimal(row.SalesAmount);
    if (!ersReference) {
      unreadable.push(row);
      continue;
    }
    const negative = amount !== undefined ? amount.units < 0n : (row.SalesAmount ?? '').trim().startsWith('-');
    if (negative) refundRows++;
    const byReference = negative ? refunds : sales;
    const seen = byReference.get(ersReference);
    if (seen) {
      seen.rows++;
      seen.amount = seen.amount && amount ? addDecimal(seen.amount, amount) : undefined;
      seen.amountText = seen.amount ? formatDecimal(seen.amount) : `${seen.amountText}+${row.SalesAmount ?? ''}`;
    } else {
      byReference.set(ersReference, { ersReference, amount, amountText: row.SalesAmount ?? '', ...(rowTerminal ? { terminalId: rowTerminal } : {}), rows: 1 });
    }
  }
  return { sales, refunds, otherTerminalRows, refundRows, unreadable };
}

/** Our refunds of the period against SEQR's refund rows (negative amounts, compared as their absolute value). */
export function compareRefunds(refunds: readonly PeriodRefund[], compared: ComparedRows): { differences: Difference[]; matched: number } {
  const differences: Difference[] = [];
  const seen = new Set<string>();
  let matched = 0;
  for (const refund of refunds) {
    const ours = {
      subject: 'refund' as const,
      invoiceReference: refund.invoiceReference,
      refundId: refund.refundId,
      ersReference: refund.ersReference,
      storedAmount: refund.amount,
      currency: refund.currency,
    };
    const row = compared.refunds.get(refund.ersReference);
    if (!row) {
      differences.push({ kind: 'missing_on_seqr_side', ...ours });
      continue;
    }
    seen.add(row.ersReference);
    const storedAmount = parseDecimal(refund.amount);
    const seqrAmount = row.amount ? { units: -row.amount.units, scale: row.amount.scale } : undefined;
    if (!seqrAmount || !storedAmount || !decimalsEqual(seqrAmount, storedAmount)) {
      const notes = [...(row.rows > 1 ? [`SEQR lists this refund ${row.rows} times`] : []), ...(!row.amount ? ['SEQR’s SalesAmount is not a decimal'] : [])];
      differences.push({ kind: 'amount_mismatch', ...ours, seqrAmount: row.amountText, ...(notes.length ? { note: notes.join('; ') } : {}) });
      continue;
    }
    matched++;
  }
  for (const row of compared.refunds.values()) {
    if (seen.has(row.ersReference)) continue;
    differences.push({ kind: 'missing_on_our_side', subject: 'refund', ersReference: row.ersReference, seqrAmount: row.amountText, ...(row.terminalId ? { terminalId: row.terminalId } : {}) });
  }
  return { differences, matched };
}

/** When the period before this one (by slot) asked SEQR to mark: our refunds after it belong to this period. */
async function previousCutoff(deps: PeriodDeps, slot: string): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const { periods, cursor: next } = await deps.store.list(20, cursor);
    const earlier = periods.find((period) => period.slot < slot && period.transactionPeriodId);
    if (earlier) return earlier.markRequestedAt ?? earlier.markedAt;
    if (!next) return undefined;
    cursor = next;
  }
  return undefined;
}

/** The pure comparison: our invoices of the period against SEQR's sales. */
export function compare(invoices: readonly PeriodInvoice[], compared: ComparedRows): { differences: Difference[]; matched: number } {
  const differences: Difference[] = [];
  const seen = new Set<string>();
  let matched = 0;
  for (const invoice of invoices) {
    const sale = invoice.ersReference ? compared.sales.get(invoice.ersReference) : undefined;
    const ours = {
      invoiceReference: invoice.invoiceReference,
      ...(invoice.ersReference ? { ersReference: invoice.ersReference } : {}),
      storedAmount: invoice.total,
      currency: invoice.currency,
      ...(invoice.paidAt ? { paidAt: invoice.paidAt } : {}),
    };
    if (!sale) {
      differences.push({
        kind: 'missing_on_seqr_side',
        ...ours,
        storedStatus: invoice.status,
        ...(invoice.ersReference ? {} : { note: 'stored PAID without an ersReference' }),
      });
      continue;
    }
    seen.add(sale.ersReference);
    const storedAmount = parseDecimal(invoice.total);
    if (!sale.amount || !storedAmount || !decimalsEqual(sale.amount, storedAmount)) {
      const notes = [
        ...(sale.rows > 1 ? [`SEQR lists this payment ${sale.rows} times`] : []),
        ...(!sale.amount ? ['SEQR’s SalesAmount is not a decimal'] : []),
      ];
      differences.push({ kind: 'amount_mismatch', ...ours, seqrAmount: sale.amountText, ...(notes.length ? { note: notes.join('; ') } : {}) });
      continue;
    }
    matched++;
  }
  for (const sale of compared.sales.values()) {
    if (seen.has(sale.ersReference)) continue;
    differences.push({
      kind: 'missing_on_our_side',
      ersReference: sale.ersReference,
      seqrAmount: sale.amountText,
      ...(sale.terminalId ? { terminalId: sale.terminalId } : {}),
    });
  }
  for (const row of compared.unreadable) {
    differences.push({ kind: 'missing_on_our_side', seqrAmount: row.SalesAmount ?? '', note: 'a report row without an ErsReference' });
  }
  return { differences, matched };
}

/** A summary's counts before anything is compared (a report that cannot be read, a period skipped). */
export function emptyCounts(reconciledAt: string, reportId: string) {
  return {
    reconciledAt,
    reportId,
    seqrRows: 0,
    otherTerminalRows: 0,
    refundRows: 0,
    storedInvoices: 0,
    matched: 0,
    differences: 0,
    byKind: countByKind([]),
    seqrSalesTotal: '0.00',
    storedTotals: {},
  };
}

function countByKind(differences: readonly Difference[]): Record<DifferenceKind, number> {
  const counts = Object.fromEntries(DIFFERENCE_KINDS.map((kind) => [kind, 0])) as Record<DifferenceKind, number>;
  for (const difference of differences) counts[difference.kind]++;
  return counts;
}

function totals(invoices: readonly PeriodInvoice[]): Record<string, string> {
  const sums = new Map<string, Scaled>();
  for (const invoice of invoices) {
    const amount = parseDecimal(invoice.total);
    if (amount) sums.set(invoice.currency, addDecimal(sums.get(invoice.currency) ?? ZERO, amount));
  }
  return Object.fromEntries([...sums].map(([currency, sum]) => [currency, formatDecimal(sum)]));
}

/**
 * Asks SEQR about our PAID invoices its report lacks: a payment SEQR no longer
 * calls PAID (reversed, cancelled) is a status mismatch, the money is not ours.
 * Bounded by a count and the run's deadline.
 */
async function checkStatuses(deps: PeriodDeps, differences: Difference[], deadline: number): Promise<void> {
  const missing = differences.filter((d) => d.kind === 'missing_on_seqr_side' && d.invoiceReference && d.subject !== 'refund');
  let checks = 0;
  for (const difference of missing) {
    if (checks >= deps.settings.maxStatusChecks || deps.clock.now() + deps.settings.callBudgetMs > deadline) {
      difference.note = [difference.note, 'SEQR not asked (no time left in this run)'].filter(Boolean).join('; ');
      continue;
    }
    checks++;
    try {
      const seqr = await deps.seqr();
      const status = await seqr.getPaymentStatus(difference.invoiceReference!, 0, { deadline: Math.min(deadline, deps.clock.now() + deps.settings.callBudgetMs) });
      difference.seqrStatus = status.status;
      if (status.status !== 'PAID') {
        difference.kind = 'status_mismatch';
        difference.note = `stored PAID, SEQR says ${status.status}`;
      } else if (status.ersReference && difference.ersReference && status.ersReference !== difference.ersReference) {
        difference.note = `SEQR's ersReference for this invoice is ${status.ersReference}`;
      }
    } catch (error) {
      if (error instanceof SeqrError) {
        difference.seqrStatus = `resultCode ${error.resultCode} ${error.codeName}`;
        if (error.resultCode === 54) difference.note = 'SEQR does not know this invoice for our terminal';
      } else {
        difference.note = [difference.note, 'SEQR could not be asked'].filter(Boolean).join('; ');
      }
    }
  }
}

export interface ReconciliationResult {
  summary: ReconciliationSummary;
  differences: Difference[];
}

/**
 * Reconciles one period from its stored detail report: assigns our open
 * invoices to it, compares, asks SEQR about what its report lacks, and returns
 * the result (the caller stores and logs it).
 */
export async function reconcilePeriod(
  deps: PeriodDeps,
  period: StoredPeriod & { transactionPeriodId: string },
  report: StoredReport,
  deadline: number,
): Promise<ReconciliationResult> {
  const reconciledAt = new Date(deps.clock.now()).toISOString();
  const empty = emptyCounts(reconciledAt, report.reportId);
  if (report.parseError || report.root !== 'TransactionDetails') {
    const error = report.parseError ?? `unexpected report root <${report.root ?? ''}>, expected <TransactionDetails>`;
    return { summary: { state: 'failed', ...empty, error }, differences: [] };
  }
  const terminalId = await deps.terminalId();
  const compared = saleRows(report.rows, terminalId);

  // Ours: already in this period (an earlier, interrupted run), and open ones it takes now.
  const cutoff = period.markRequestedAt ?? period.markedAt ?? reconciledAt;
  const assigned = await deps.invoices.ofPeriod(period.transactionPeriodId);
  const open = await deps.invoices.openPaid();
  const invoices = [...assigned];
  for (const invoice of open) {
    const listed = invoice.ersReference !== undefined && compared.sales.has(invoice.ersReference);
    if (!listed && !(invoice.paidAt !== undefined && invoice.paidAt <= cutoff)) continue;
    if (await deps.invoices.assign(invoice.invoiceReference, period.transactionPeriodId)) {
      invoices.push({ ...invoice, transactionPeriod: period.transactionPeriodId });
    }
  }

  // Our refunds of the period: completed since the previous period's mark, up to this one's (or listed by SEQR already).
  const after = await previousCutoff(deps, period.slot);
  const refunds = (await deps.invoices.refundsCompletedAfter(after)).filter((refund) => refund.completedAt <= cutoff || compared.refunds.has(refund.ersReference));

  const payments = compare(invoices, compared);
  const refundResult = compareRefunds(refunds, compared);
  const { matched } = payments;
  const differences = [...payments.differences, ...refundResult.differences];
  await checkStatuses(deps, differences, deadline);
  const seqrSalesTotal = [...compared.sales.values()].reduce<Scaled>((sum, sale) => (sale.amount ? addDecimal(sum, sale.amount) : sum), ZERO);
  return {
    summary: {
      state: 'done',
      ...empty,
      seqrRows: [...compared.sales.values()].reduce((n, sale) => n + sale.rows, 0) + compared.unreadable.length,
      otherTerminalRows: compared.otherTerminalRows,
      refundRows: compared.refundRows,
      storedRefunds: refunds.length,
      matchedRefunds: refundResult.matched,
      storedInvoices: invoices.length,
      matched,
      differences: differences.length,
      byKind: countByKind(differences),
      seqrSalesTotal: formatDecimal(seqrSalesTotal),
      storedTotals: totals(invoices),
    },
    differences,
  };
}
