/**
 * Closing the books for one schedule slot: markTransactionPeriod once, then
 * SEQR's reports for the period and the reconciliation of its detail report
 * against our store.
 *
 * EventBridge Scheduler may deliver a schedule more than once and retries
 * failures; the slot claim in the periods table makes every delivery after the
 * first a no-op for marking, so reconciliation sees one period per slot. The
 * work after marking (assigning our invoices, reports, reconciliation) is held
 * by a lease of its own, so two runs never fetch or store a report twice.
 *
 * Reports (FACTS.md §6): wait ~3 s after the mark, executeReport, and on code 2
 * REPORT_NOT_READY wait and ask again, as long as the run's deadline allows (it
 * comes from the function's time-out) and, when given, for at most `maxWaitMs`
 * from the report's first ask in this run. The two bounds differ on purpose:
 * the deadline decides whether a call may start at all, the wait bound only
 * whether to ask *again*. So every pending report, this period's and every
 * earlier one's, is asked at least once per run while the function's time-out
 * allows, however long this run's own period took. A report still not ready is
 * left pending and logged for the alarm; every later run retries it.
 *
 * Outcomes:
 * - `marked`: this run claimed the slot and SEQR closed the period.
 * - `already-marked`: an earlier run closed it; SEQR is not asked to mark again.
 * - `in-progress`: another run holds a live marking claim; SEQR is not called.
 *   The caller fails so that a retry comes back after the other run has
 *   finished (or crashed and its lease has run out).
 */
import { randomUUID } from 'node:crypto';
import { SeqrError, SeqrTransportError } from '../seqr/errors.js';
import type { SeqrReport } from '../seqr/merchant-api.js';
import type { Logger } from '../../log.js';
import {
  PeriodWorkLostError,
  type PeriodDeps,
  type PeriodReportStatus,
  type ReconciliationSummary,
  type ReportState,
  type StoredPeriod,
  type StoredReport,
} from './ports.js';
import { emptyCounts, reconcilePeriod } from './reconciliation.js';
import { ReportFormatError, parseReportXml, reportText } from './report-xml.js';

/**
 * How long a claim (marking, or the work after it) blocks other runs. Longer
 * than the function's 60 s time-out, so a taken-over claim's run is dead.
 */
export const PERIOD_CLAIM_LEASE_MS = 2 * 60_000;

import {
  PERIOD_WORK_FAILED_MESSAGE,
  RECONCILIATION_DIFFERENCE_MESSAGE,
  RECONCILIATION_FAILED_MESSAGE,
  RECONCILIATION_SUMMARY_MESSAGE,
  REPORT_PENDING_MESSAGE,
  REPORT_UNREADABLE_MESSAGE,
} from './messages.js';
import { periodSlot } from './slot.js';

export * from './messages.js';
export { InvalidPeriodSlotError, periodSlot } from './slot.js';

/** What a run left a period with. */
export interface PeriodProgress {
  slot: string;
  transactionPeriodId: string;
  reports: Record<string, ReportState>;
  reconciliation?: Pick<ReconciliationSummary, 'state' | 'matched' | 'differences'>;
  /** Another run was working on it: this run left it alone. */
  busy?: true;
}

type Marked = {
  slot: string;
  transactionPeriodId: string;
  markedAt?: string;
  reports?: Record<string, ReportState>;
  reconciliation?: PeriodProgress['reconciliation'];
  /** Earlier periods this run worked on (pending reports retried). */
  earlier?: PeriodProgress[];
};

export type TransactionPeriodOutcome =
  | ({ outcome: 'marked'; markedAt: string } & Marked)
  | ({ outcome: 'already-marked' } & Marked)
  | { outcome: 'in-progress'; slot: string; claimedAt: number };

/** A live claim by another run: thrown by the handler so that the invocation is retried. */
export class TransactionPeriodInProgressError extends Error {
  override readonly name = 'TransactionPeriodInProgressError';
  constructor(
    readonly slot: string,
    readonly claimedAt: number,
  ) {
    super(`transaction period ${slot} is being closed by another run (claimed at ${new Date(claimedAt).toISOString()})`);
  }
}

export interface CloseTransactionPeriodOptions {
  /** The scheduled time (`<aws.scheduler.scheduled-time>`), or a slot; the current minute when not given. */
  scheduledTime?: string;
  /** Passed to markTransactionPeriod, e.g. `{ TERMINALID: '…' }` for per-terminal reports 006/007. */
  parameters?: Record<string, string>;
  /** Epoch ms by which the run must be done with SEQR (from the function's time-out); 45 s from now when not given. */
  deadline?: number;
  /**
   * How long a run keeps asking again for a report that answers 2, counted from
   * its first ask for that report in this run; unbounded (the deadline only) when
   * not given. Never stops the first ask: each pending report is asked once per
   * run whenever the deadline allows.
   */
  maxWaitMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function reportStates(period: StoredPeriod): Record<string, ReportState> {
  return Object.fromEntries(Object.entries(period.reports ?? {}).map(([id, status]) => [id, status.state]));
}

function progressOf(period: StoredPeriod & { transactionPeriodId: string }, busy = false): PeriodProgress {
  return {
    slot: period.slot,
    transactionPeriodId: period.transactionPeriodId,
    reports: reportStates(period),
    ...(period.reconciliation
      ? { reconciliation: { state: period.reconciliation.state, matched: period.reconciliation.matched, differences: period.reconciliation.differences } }
      : {}),
    ...(busy ? { busy: true as const } : {}),
  };
}

/** Marked, wanting reports (periods marked before reports existed want none), and something left to do. */
export function needsWork(period: StoredPeriod | undefined): period is StoredPeriod & { transactionPeriodId: string } {
  if (!period?.transactionPeriodId || !period.reports) return false;
  return Object.values(period.reports).some((report) => report.state !== 'ready') || !period.invoicesAssignedAt || !period.reconciliation;
}

/** Closes the transaction period of one schedule slot, at most once, and works on its reports. */
export async function closeTransactionPeriod(deps: PeriodDeps, options: CloseTransactionPeriodOptions = {}): Promise<TransactionPeriodOutcome> {
  const { store, clock, settings } = deps;
  const slot = periodSlot(options.scheduledTime, clock.now());
  const limits: RunLimits = { deadline: options.deadline ?? clock.now() + 45_000, maxWaitMs: options.maxWaitMs ?? Infinity };
  const { deadline } = limits;
  const claimId = randomUUID();
  const log = deps.log.with({ slot, claimId });

  const claim = await store.claimSlot(slot, claimId, clock.now(), settings.leaseMs);
  let outcome: TransactionPeriodOutcome;
  let period: StoredPeriod | undefined;
  if (!claim.claimed) {
    const existing = claim.period;
    if (!existing?.transactionPeriodId) {
      // The claim vanished between the write and the read (released after a SEQR error), or is live.
      const claimedAt = existing?.claimedAt ?? clock.now();
      log.warn('transaction period being marked by another run', { claimedAt: iso(claimedAt) });
      return { outcome: 'in-progress', slot, claimedAt };
    }
    log.info('transaction period already marked', { transactionPeriodId: existing.transactionPeriodId });
    outcome = {
      outcome: 'already-marked',
      slot,
      transactionPeriodId: existing.transactionPeriodId,
      ...(existing.markedAt ? { markedAt: existing.markedAt } : {}),
    };
    period = existing;
  } else {
    if (claim.period.attempts > 1) log.warn('took over a stale transaction period claim', { attempts: claim.period.attempts });
    const marked = await mark(deps, slot, claimId, options.parameters, log);
    if (!marked.recorded) return { outcome: 'marked', slot, transactionPeriodId: marked.transactionPeriodId, markedAt: marked.markedAt };
    outcome = { outcome: 'marked', slot, transactionPeriodId: marked.transactionPeriodId, markedAt: marked.markedAt };
    period = await store.get(slot);
  }

  // This period first; its failures fail the run (and the retry resumes them).
  if (needsWork(period)) {
    const progress = await workOnPeriod(deps, period, claimId, limits, log);
    Object.assign(outcome, { reports: progress.reports, ...(progress.reconciliation ? { reconciliation: progress.reconciliation } : {}) });
  } else if (period?.transactionPeriodId) {
    const progress = progressOf({ ...period, transactionPeriodId: period.transactionPeriodId });
    Object.assign(outcome, { reports: progress.reports, ...(progress.reconciliation ? { reconciliation: progress.reconciliation } : {}) });
  }

  // Then earlier periods with reports still pending, oldest first; their failures are logged, not thrown.
  const earlier = await earlierWork(deps, slot, claimId, limits, log);
  if (earlier.length > 0) Object.assign(outcome, { earlier });
  return outcome;
}

async function mark(
  deps: PeriodDeps,
  slot: string,
  claimId: string,
  parameters: Record<string, string> | undefined,
  log: Logger,
): Promise<{ transactionPeriodId: string; markedAt: string; recorded: boolean }> {
  const { store, clock, settings } = deps;
  const markRequestedAt = iso(clock.now());
  let transactionPeriodId: string;
  try {
    const seqr = await deps.seqr();
    ({ transactionPeriodId } = await seqr.markTransactionPeriod(parameters));
  } catch (error) {
    if (error instanceof SeqrError) {
      // SEQR answered no: nothing was marked, so the slot is free for the retry at once.
      await store.releaseSlot(slot, claimId).catch((releaseError: unknown) => log.warn('could not release the transaction period claim', { error: releaseError }));
    }
    // Otherwise (time-out, network) SEQR may have marked it: the claim stands until its lease runs out.
    log.error('markTransactionPeriod failed', { error });
    throw error;
  }
  if (!transactionPeriodId) throw new Error('markTransactionPeriod answered without a transactionPeriodId');

  const markedAt = iso(clock.now());
  const recorded = await store.recordMarked(slot, claimId, {
    transactionPeriodId,
    markedAt,
    markRequestedAt,
    ...(parameters && Object.keys(parameters).length > 0 ? { parameters } : {}),
    reportIds: settings.reportIds,
    workUntil: clock.now() + settings.leaseMs,
  });
  if (!recorded) {
    // Only after a run outlived its lease: SEQR has two periods for this slot; say which.
    log.error('transaction period marked but the claim was lost', { transactionPeriodId });
  } else {
    log.info('transaction period marked', { transactionPeriodId, markedAt });
  }
  return { transactionPeriodId, markedAt, recorded };
}

/** The run's two bounds: no SEQR call starts unless it ends by `deadline`; no report is asked again after `maxWaitMs` of asking. */
interface RunLimits {
  deadline: number;
  maxWaitMs: number;
}

async function earlierWork(deps: PeriodDeps, slot: string, claimId: string, limits: RunLimits, log: Logger): Promise<PeriodProgress[]> {
  const { deadline } = limits;
  const { periods } = await deps.store.list(deps.settings.lookback);
  const waiting = periods.filter((period) => period.slot !== slot && needsWork(period)).reverse();
  const done: PeriodProgress[] = [];
  for (const period of waiting as (StoredPeriod & { transactionPeriodId: string })[]) {
    if (deps.clock.now() + deps.settings.callBudgetMs > deadline) break;
    const periodLog = deps.log.with({ slot: period.slot, claimId, transactionPeriodId: period.transactionPeriodId });
    try {
      done.push(await workOnPeriod(deps, period, claimId, limits, periodLog));
    } catch (error) {
      periodLog.error(PERIOD_WORK_FAILED_MESSAGE, { error });
    }
  }
  if (done.length > 0) log.info('earlier transaction periods retried', { periods: done.map((p) => p.slot) });
  return done;
}

/** Assigns our invoices, fetches pending reports, reconciles: whatever the period still lacks, under the work lease. */
async function workOnPeriod(
  deps: PeriodDeps,
  known: StoredPeriod & { transactionPeriodId: string },
  claimId: string,
  limits: RunLimits,
  log: Logger,
): Promise<PeriodProgress> {
  const { store, clock, settings } = deps;
  const { deadline } = limits;
  const claimed = await store.claimWork(known.slot, claimId, clock.now(), settings.leaseMs);
  if (!claimed) {
    log.info('transaction period reports being fetched by another run');
    return progressOf(known, true);
  }
  if (!needsWork(claimed)) {
    // Another run finished it meanwhile.
    await store.releaseWork(known.slot, claimId);
    return progressOf({ ...claimed, transactionPeriodId: claimed.transactionPeriodId ?? known.transactionPeriodId });
  }
  const period = claimed;
  const slot = period.slot;
  const workLog = log.with({ transactionPeriodId: period.transactionPeriodId });
  try {
    // 1. Our side of the period: PAID before we asked SEQR to mark, and in no period yet.
    if (!period.invoicesAssignedAt) {
      const cutoff = period.markRequestedAt ?? period.markedAt ?? iso(clock.now());
      let assigned = 0;
      for (const invoice of await deps.invoices.openPaid(cutoff)) {
        if (await deps.invoices.assign(invoice.invoiceReference, period.transactionPeriodId)) assigned++;
      }
      period.invoicesAssignedAt = iso(clock.now());
      period.assignedInvoices = assigned;
      await store.saveAssignment(slot, claimId, assigned, period.invoicesAssignedAt);
      workLog.info('invoices assigned to the transaction period', { assignedInvoices: assigned, cutoff });
    }

    // 2. SEQR's reports, after the documented pause.
    const reports = period.reports ?? {};
    const pending = Object.entries(reports).filter(([, status]) => status.state !== 'ready');
    const fetched = new Map<string, StoredReport>();
    if (pending.length > 0) {
      const pauseUntil = Date.parse(period.markedAt ?? '') + settings.pauseMs;
      if (Number.isFinite(pauseUntil) && pauseUntil > clock.now()) await clock.sleep(pauseUntil - clock.now());
      const results = await Promise.all(pending.map(([reportId, status]) => fetchReport(deps, period, claimId, reportId, status, limits, workLog)));
      for (const [i, result] of results.entries()) {
        const reportId = pending[i]![0];
        reports[reportId] = result.status;
        if (result.report) fetched.set(reportId, result.report);
      }
    }

    // 3. Reconciliation, once the detail report is in.
    if (!period.reconciliation) {
      const detail = reports[settings.reconcileReportId];
      if (!detail) {
        period.reconciliation = skipped(deps);
        await store.saveReconciliation(slot, claimId, period.reconciliation, []);
        workLog.warn('no reconciliation: the detail report is not among the reports', { reportId: settings.reconcileReportId });
      } else if (detail.state === 'ready') {
        const report = fetched.get(settings.reconcileReportId) ?? (await store.getReport(slot, settings.reconcileReportId));
        if (report) period.reconciliation = await reconcile(deps, period, claimId, report, deadline, workLog);
      }
    }
    return progressOf(period);
  } catch (error) {
    if (error instanceof PeriodWorkLostError) {
      workLog.warn('transaction period work taken over by another run');
      return progressOf(period, true);
    }
    throw error;
  } finally {
    await store.releaseWork(slot, claimId).catch((error: unknown) => workLog.warn('could not release the transaction period work claim', { error }));
  }
}

function skipped(deps: PeriodDeps): ReconciliationSummary {
  return { state: 'skipped', ...emptyCounts(iso(deps.clock.now()), deps.settings.reconcileReportId) };
}

async function reconcile(
  deps: PeriodDeps,
  period: StoredPeriod & { transactionPeriodId: string },
  claimId: string,
  report: StoredReport,
  deadline: number,
  log: Logger,
): Promise<ReconciliationSummary> {
  const { summary, differences } = await reconcilePeriod(deps, period, report, deadline);
  await deps.store.saveReconciliation(period.slot, claimId, summary, differences);
  if (summary.state === 'failed') {
    log.error(RECONCILIATION_FAILED_MESSAGE, { reportId: report.reportId, error: summary.error });
    return summary;
  }
  // One line per difference, for the alarm and for whoever looks into it.
  for (const difference of differences) log.warn(RECONCILIATION_DIFFERENCE_MESSAGE, { ...difference });
  const { state, reportId, seqrRows, otherTerminalRows, refundRows, storedRefunds, matchedRefunds, storedInvoices, matched, byKind, seqrSalesTotal, storedTotals } = summary;
  log[differences.length > 0 ? 'warn' : 'info'](RECONCILIATION_SUMMARY_MESSAGE, {
    state,
    reportId,
    seqrRows,
    otherTerminalRows,
    refundRows,
    storedRefunds,
    matchedRefunds,
    storedInvoices,
    matched,
    differences: differences.length,
    byKind,
    seqrSalesTotal,
    storedTotals,
  });
  return summary;
}

function storedReportOf(period: StoredPeriod & { transactionPeriodId: string }, reportId: string, report: SeqrReport, fetchedAt: string): StoredReport {
  const text = reportText(report);
  const contentIsText = text !== undefined && report.content !== undefined && Buffer.from(text, 'utf8').toString('base64') === report.content;
  const base = {
    reportId,
    slot: period.slot,
    transactionPeriodId: period.transactionPeriodId,
    fetchedAt,
    ...(report.title ? { title: String(report.title) } : {}),
    ...(report.mimeType ? { mimeType: String(report.mimeType) } : {}),
    ...(text !== undefined ? { contentString: text } : {}),
    ...(report.content && !contentIsText ? { content: String(report.content) } : {}),
  };
  if (text === undefined) return { ...base, meta: {}, rows: [], parseError: 'the report has no content' };
  try {
    const parsed = parseReportXml(text);
    return { ...base, root: parsed.root, meta: parsed.meta, rows: parsed.rows };
  } catch (error) {
    if (!(error instanceof ReportFormatError)) throw error;
    return { ...base, meta: {}, rows: [], parseError: error.message };
  }
}

/** executeReport until ready or out of time; stores the report, or its pending state. */
async function fetchReport(
  deps: PeriodDeps,
  period: StoredPeriod & { transactionPeriodId: string },
  claimId: string,
  reportId: string,
  known: PeriodReportStatus,
  limits: RunLimits,
  log: Logger,
): Promise<{ status: PeriodReportStatus; report?: StoredReport }> {
  const { clock, settings, store } = deps;
  const { deadline } = limits;
  // The wait bound runs from this run's first ask: a run whose own period took long still asks once.
  let askAgainUntil = Infinity;
  // SEQR's key is transactionPeriodId; TERMINALID goes along when the period was marked for one terminal (006/007).
  const parameters: Record<string, string> = {
    transactionPeriodId: period.transactionPeriodId,
    ...(period.parameters?.TERMINALID ? { TERMINALID: period.parameters.TERMINALID } : {}),
  };
  const status: PeriodReportStatus = { ...known, state: 'pending' };
  let attemptsNow = 0;
  for (;;) {
    if (clock.now() + settings.callBudgetMs > deadline) break;
    if (attemptsNow === 0) askAgainUntil = clock.now() + limits.maxWaitMs;
    attemptsNow++;
    status.attempts++;
    status.lastTriedAt = iso(clock.now());
    try {
      const seqr = await deps.seqr();
      const answer = await seqr.executeReport(reportId, settings.language, parameters);
      const fetchedAt = iso(clock.now());
      const report = storedReportOf(period, reportId, answer, fetchedAt);
      const ready: PeriodReportStatus = {
        state: 'ready',
        attempts: status.attempts,
        notReadyAnswers: status.notReadyAnswers,
        lastResultCode: 0,
        lastTriedAt: status.lastTriedAt,
        readyAt: fetchedAt,
        ...(report.title ? { title: report.title } : {}),
        ...(report.mimeType ? { mimeType: report.mimeType } : {}),
        rowCount: report.rows.length,
        ...(report.parseError ? { parseError: report.parseError } : {}),
      };
      await store.saveReport(period.slot, claimId, report, ready);
      log.info('transaction period report stored', { reportId, attempts: ready.attempts, notReadyAnswers: ready.notReadyAnswers, rows: ready.rowCount });
      if (report.parseError) log.error(REPORT_UNREADABLE_MESSAGE, { reportId, error: report.parseError });
      return { status: ready, report };
    } catch (error) {
      if (error instanceof SeqrError) {
        status.lastResultCode = error.resultCode;
        delete status.lastError;
        if (error.resultCode !== 2) {
          // A refusal (e.g. 10 for a reportId SEQR does not know): asking again now changes nothing.
          log.warn('executeReport refused', { reportId, resultCode: error.resultCode, codeName: error.codeName });
          break;
        }
        status.notReadyAnswers++;
        log.info('report not ready, waiting', { reportId, attempt: status.attempts, delayMs: settings.retryDelayMs });
      } else if (error instanceof SeqrTransportError) {
        delete status.lastResultCode;
        status.lastError = error.message;
        log.warn('executeReport failed on the wire, trying again', { reportId, error });
      } else {
        throw error;
      }
    }
    if (clock.now() + settings.retryDelayMs + settings.callBudgetMs > deadline) break;
    if (clock.now() + settings.retryDelayMs > askAgainUntil) break;
    await clock.sleep(settings.retryDelayMs);
  }
  await store.saveReportStatus(period.slot, claimId, reportId, status);
  log.error(REPORT_PENDING_MESSAGE, {
    reportId,
    attempts: status.attempts,
    attemptsThisRun: attemptsNow,
    notReadyAnswers: status.notReadyAnswers,
    ...(status.lastResultCode !== undefined ? { lastResultCode: status.lastResultCode } : {}),
    ...(status.lastError ? { lastError: status.lastError } : {}),
  });
  return { status };
}
