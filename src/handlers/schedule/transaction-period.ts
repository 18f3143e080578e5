/**
 * EventBridge Scheduler (and POST /transaction-periods, by an asynchronous
 * invoke) → closes SEQR's transaction period for the slot, fetches its reports
 * and reconciles them with our store.
 *
 * Event: the schedule's input, `{"scheduledTime":"<aws.scheduler.scheduled-time>"}`
 * (ISO 8601, e.g. `2025-01-31T23:00:00Z`); a hand-made invocation may leave it out
 * (the current minute) or add `parameters` for markTransactionPeriod.
 * Result: the outcome as JSON. A live claim by another run fails the invocation,
 * so Lambda's asynchronous retry comes back after it (failures end in the DLQ).
 * Waiting for reports stops in time for the function's time-out (and after
 * TRANSACTION_PERIOD_REPORT_MAX_WAIT_MS of asking again, when set): a report not
 * ready by then stays pending (alarmed) for the next run, which asks again.
 */
import { FUNCTIONS } from '../../catalog.js';
import { config, seqrTerminalCredentials } from '../../config.js';
import { log, type Logger } from '../../log.js';
import { sleep } from '../../core/retry.js';
import { dynamoPeriodInvoices, dynamoPeriodStore } from '../../adapters/dynamodb/periods.js';
import type { PeriodDeps, PeriodSeqrApi } from '../../core/periods/ports.js';
import {
  PERIOD_CLAIM_LEASE_MS,
  TransactionPeriodInProgressError,
  closeTransactionPeriod,
  type TransactionPeriodOutcome,
} from '../../core/periods/transaction-period.js';

export interface TransactionPeriodEvent {
  scheduledTime?: string;
  parameters?: Record<string, string>;
}

/** What a Lambda context gives this handler. */
export interface PeriodContext {
  getRemainingTimeInMillis?: () => number;
}

/** Time kept back from the function's time-out for the last writes after SEQR's last answer. */
export const STORE_RESERVE_MS = 5_000;

function parameters(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
}

let seqr: Promise<PeriodSeqrApi> | undefined;

/** The adapters behind the period flow, configured from the environment. */
export function transactionPeriodDeps(logger: Logger): PeriodDeps {
  return {
    store: dynamoPeriodStore,
    invoices: dynamoPeriodInvoices,
    seqr: () =>
      (seqr ??= import('../../adapters/seqr/client.js').then(({ createSeqrClient }) =>
        // The flow decides how long to wait for a report: the client answers code 2 at once.
        createSeqrClient({ reportRetry: { attempts: 1, delayMs: 0 } }),
      )),
    terminalId: async () => (await seqrTerminalCredentials()).terminalId,
    clock: { now: () => Date.now(), sleep },
    log: logger,
    settings: {
      reportIds: config.transactionPeriodReportIds,
      reconcileReportId: config.transactionPeriodReconcileReportId,
      language: config.transactionPeriodReportLanguage,
      pauseMs: config.transactionPeriodReportPauseMs,
      retryDelayMs: config.transactionPeriodReportRetryMs,
      callBudgetMs: config.seqrTimeoutMs,
      leaseMs: PERIOD_CLAIM_LEASE_MS,
      lookback: 7,
      maxStatusChecks: 20,
    },
  };
}

/** Drop the cached SEQR client (tests that point it at another simulator). */
export function resetTransactionPeriodClient(): void {
  seqr = undefined;
}

export const handler = async (event: TransactionPeriodEvent | null | undefined, context?: PeriodContext): Promise<TransactionPeriodOutcome> => {
  const started = Date.now();
  const remaining = context?.getRemainingTimeInMillis?.() ?? FUNCTIONS.transactionPeriod.timeoutSeconds * 1000;
  const maxWaitMs = config.transactionPeriodReportMaxWaitMs;
  // The time-out decides whether a SEQR call may start; the wait bound only how long a not-ready report is asked again.
  const deadline = started + remaining - STORE_RESERVE_MS;
  const scheduledTime = typeof event?.scheduledTime === 'string' ? event.scheduledTime : undefined;
  const extra = parameters(event?.parameters);
  const result = await closeTransactionPeriod(transactionPeriodDeps(log.with({ function: 'transactionPeriod' })), {
    ...(scheduledTime ? { scheduledTime } : {}),
    ...(extra ? { parameters: extra } : {}),
    deadline,
    ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
  });
  if (result.outcome === 'in-progress') throw new TransactionPeriodInProgressError(result.slot, result.claimedAt);
  return result;
};
