/**
 * What closing the books needs from the outside world, as small interfaces:
 * the periods store, the invoices of a period, SEQR, a clock and a log. The
 * adapters (DynamoDB, the SOAP client) implement them; tests may pass their own.
 */
import type { Logger } from '../../log.js';
import type { PaymentStatusResult, SeqrReport } from '../seqr/merchant-api.js';

/** Reconciliation/… report ids as SEQR names them (FACTS.md §6). */
export const SHOP_REPORT_ID = 'Reconciliation/Shop.xml';
export const DETAIL_REPORT_ID = 'Reconciliation/STD_RECON_003.xml';
export const DEFAULT_REPORT_IDS: readonly string[] = [SHOP_REPORT_ID, DETAIL_REPORT_ID];

export type ReportState = 'pending' | 'ready';

/** One report of a period, as the period item keeps it (the content is stored beside it). */
export interface PeriodReportStatus {
  state: ReportState;
  /** executeReport calls made for it, over every run. */
  attempts: number;
  /** How many of them answered 2 REPORT_NOT_READY. */
  notReadyAnswers: number;
  /** The last SEQR result code (0 once ready), or undefined after a transport failure. */
  lastResultCode?: number;
  /** What went wrong last, when it was not a result code. */
  lastError?: string;
  lastTriedAt?: string;
  readyAt?: string;
  title?: string;
  mimeType?: string;
  rowCount?: number;
  /** The content could not be read as a report. */
  parseError?: string;
}

export type DifferenceKind = 'missing_on_our_side' | 'missing_on_seqr_side' | 'amount_mismatch' | 'status_mismatch';
export const DIFFERENCE_KINDS: readonly DifferenceKind[] = ['missing_on_our_side', 'missing_on_seqr_side', 'amount_mismatch', 'status_mismatch'];

/** One disagreement between SEQR's detail report and our store. */
export interface Difference {
  kind: DifferenceKind;
  /** What disagrees: a payment (an invoice; the default when absent) or a refund. */
  subject?: 'refund';
  /** Our refund's id (with its invoice's `invoiceReference`), for a refund. */
  refundId?: string;
  ersReference?: string;
  invoiceReference?: string;
  /** SalesAmount in SEQR's report (summed when SEQR lists the reference more than once). */
  seqrAmount?: string;
  /** Our stored total, in `currency`. */
  storedAmount?: string;
  currency?: string;
  storedStatus?: string;
  /** What getPaymentStatus says now, where it was asked. */
  seqrStatus?: string;
  terminalId?: string;
  paidAt?: string;
  note?: string;
}

export interface ReconciliationSummary {
  /** `done`: compared; `failed`: the detail report could not be read; `skipped`: no detail report is configured. */
  state: 'done' | 'failed' | 'skipped';
  reconciledAt: string;
  reportId: string;
  /** Sale rows for our terminal in SEQR's report. */
  seqrRows: number;
  /** Rows for other terminals of the reseller (not ours to compare). */
  otherTerminalRows: number;
  /** Refund rows (a negative SalesAmount) for our terminal in SEQR's report. */
  refundRows: number;
  /** Our refunds of this period (SUCCEEDED since the previous period's mark), and how many SEQR lists alike. */
  storedRefunds?: number;
  matchedRefunds?: number;
  /** PAID invoices of this period in our store. */
  storedInvoices: number;
  matched: number;
  differences: number;
  byKind: Record<DifferenceKind, number>;
  /** Sum of SEQR's sale rows (the report names no currency). */
  seqrSalesTotal: string;
  /** Sum of our invoices per currency. */
  storedTotals: Record<string, string>;
  error?: string;
}

/** A transaction period, one per schedule slot. */
export interface StoredPeriod {
  /** The schedule slot: the scheduled time truncated to the minute, ISO 8601 UTC (`2025-01-31T23:00Z`). */
  slot: string;
  /** Which run holds the marking claim (a random id per run). */
  claimId: string;
  /** Epoch ms when the claim was taken; with the lease it says when a stuck claim may be taken over. */
  claimedAt: number;
  /** How many runs have claimed this slot (more than 1: a stuck claim was taken over). */
  attempts: number;
  /** SEQR's id of the closed period (25 digits), once marked. */
  transactionPeriodId?: string;
  /** When SEQR answered, ISO 8601. */
  markedAt?: string;
  /** Just before markTransactionPeriod was called: our payments stored PAID until then belong to this period. */
  markRequestedAt?: string;
  /** What markTransactionPeriod was given (TERMINALID), passed on to executeReport. */
  parameters?: Record<string, string>;
  /** The reports this period wants, by reportId. Periods marked before reports existed have none. */
  reports?: Record<string, PeriodReportStatus>;
  /** When our PAID invoices up to markRequestedAt were assigned to this period, and how many. */
  invoicesAssignedAt?: string;
  assignedInvoices?: number;
  reconciliation?: ReconciliationSummary;
  /** The run working on reports and reconciliation, and until when its lease holds (epoch ms). */
  workClaimId?: string;
  workUntil?: number;
}

export type ClaimResult =
  | { claimed: true; period: StoredPeriod }
  /** Someone else has the slot: marked already, or a live claim. */
  | { claimed: false; period: StoredPeriod | undefined };

/** A report as stored with its period: what SEQR sent and the rows read from it. */
export interface StoredReport {
  reportId: string;
  slot: string;
  transactionPeriodId: string;
  fetchedAt: string;
  title?: string;
  mimeType?: string;
  /** The report's text (contentString, or content decoded). */
  contentString?: string;
  /** SEQR's base64 `content`, kept only when it is not just `contentString` encoded. */
  content?: string;
  root?: string;
  meta: Record<string, string>;
  rows: Record<string, string>[];
  parseError?: string;
}

export interface PeriodPage {
  periods: StoredPeriod[];
  /** Opaque; absent on the last page. */
  cursor?: string;
}

/** The run's work claim was taken over (it outlived its lease): stop writing. */
export class PeriodWorkLostError extends Error {
  override readonly name = 'PeriodWorkLostError';
  constructor(readonly slot: string) {
    super(`the work claim on transaction period ${slot} was taken over by another run`);
  }
}

export interface PeriodStore {
  claimSlot(slot: string, claimId: string, now: number, leaseMs: number): Promise<ClaimResult>;
  /** Stores SEQR's answer on the claim and takes the work lease; false if this run no longer holds the claim. */
  recordMarked(
    slot: string,
    claimId: string,
    marked: {
      transactionPeriodId: string;
      markedAt: string;
      markRequestedAt: string;
      parameters?: Record<string, string>;
      reportIds: readonly string[];
      workUntil: number;
    },
  ): Promise<boolean>;
  releaseSlot(slot: string, claimId: string): Promise<void>;
  get(slot: string): Promise<StoredPeriod | undefined>;
  /** Newest first. */
  list(limit: number, cursor?: string): Promise<PeriodPage>;
  /** Takes the work lease on a marked period; undefined when another run holds it. */
  claimWork(slot: string, claimId: string, now: number, leaseMs: number): Promise<StoredPeriod | undefined>;
  releaseWork(slot: string, claimId: string): Promise<void>;
  /** The writes below throw PeriodWorkLostError when `claimId` no longer holds the work lease. */
  saveReportStatus(slot: string, claimId: string, reportId: string, status: PeriodReportStatus): Promise<void>;
  /** Stores the report, then marks it ready with `status`. */
  saveReport(slot: string, claimId: string, report: StoredReport, status: PeriodReportStatus): Promise<void>;
  getReport(slot: string, reportId: string): Promise<StoredReport | undefined>;
  saveAssignment(slot: string, claimId: string, assignedInvoices: number, at: string): Promise<void>;
  saveReconciliation(slot: string, claimId: string, summary: ReconciliationSummary, differences: Difference[]): Promise<void>;
  getDifferences(slot: string): Promise<Difference[] | undefined>;
}

/** A PAID invoice as reconciliation sees it. */
export interface PeriodInvoice {
  invoiceReference: string;
  status: string;
  total: string;
  currency: string;
  ersReference?: string;
  paidAt?: string;
  /** `OPEN`, or the transactionPeriodId it belongs to. */
  transactionPeriod?: string;
}

/** A refund SEQR made, as reconciliation sees it. */
export interface PeriodRefund {
  invoiceReference: string;
  refundId: string;
  /** SEQR's reference of the refund (its report row's ErsReference). */
  ersReference: string;
  /** Positive exact decimal, in `currency`. */
  amount: string;
  currency: string;
  completedAt: string;
}

export interface PeriodInvoices {
  /** Our SUCCEEDED refunds completed after `after` (ISO 8601; every one when undefined), oldest first. */
  refundsCompletedAfter(after: string | undefined): Promise<PeriodRefund[]>;
  /** PAID invoices in no period yet, optionally only those stored PAID up to `paidUpTo` (ISO 8601). */
  openPaid(paidUpTo?: string): Promise<PeriodInvoice[]>;
  ofPeriod(transactionPeriodId: string): Promise<PeriodInvoice[]>;
  /** Puts an OPEN invoice into the period; false when it is in one already. */
  assign(invoiceReference: string, transactionPeriodId: string): Promise<boolean>;
}

/**
 * The SEQR operations the period flow uses. executeReport must answer code 2
 * at once (a SeqrError), not wait itself: the flow decides how long to wait.
 */
export interface PeriodSeqrApi {
  markTransactionPeriod(parameters?: Record<string, string>): Promise<{ transactionPeriodId: string }>;
  executeReport(reportId: string, language: string, parameters: Record<string, string>): Promise<SeqrReport>;
  getPaymentStatus(invoiceReference: string, invoiceVersion?: number, options?: { deadline?: number }): Promise<PaymentStatusResult>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface PeriodSettings {
  /** Reports to fetch for each period. */
  reportIds: readonly string[];
  /** The detail report reconciliation reads (ErsReference, SalesAmount); skipped when not among reportIds. */
  reconcileReportId: string;
  language: string;
  /** Pause between markTransactionPeriod and the first executeReport (SEQR: ~3 s). */
  pauseMs: number;
  /** Wait between REPORT_NOT_READY answers (SEQR: 3–5 s). */
  retryDelayMs: number;
  /** The longest one SEQR call may take (the SOAP time-out): no call starts unless it fits before the deadline. */
  callBudgetMs: number;
  /** Claim and work lease: longer than the function's time-out. */
  leaseMs: number;
  /** How many earlier periods each run looks at for pending reports. */
  lookback: number;
  /** At most this many getPaymentStatus checks per reconciliation. */
  maxStatusChecks: number;
}

export interface PeriodDeps {
  store: PeriodStore;
  invoices: PeriodInvoices;
  /** Loaded only when SEQR is really called: a run with nothing to do never loads soap. */
  seqr: () => Promise<PeriodSeqrApi>;
  /** Our webshop terminal: reconciliation compares its rows only. */
  terminalId: () => Promise<string>;
  clock: Clock;
  log: Logger;
  settings: PeriodSettings;
}
