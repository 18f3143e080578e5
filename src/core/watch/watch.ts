/**
 * The watch: while an invoice is open, the back end itself asks SEQR about it
 * (getPaymentStatus every `intervalMs`), so a payment whose notification never
 * arrived is still confirmed inside SEQR's 20 s window with no browser open;
 * and at its payment timeout an invoice still ISSUED is cancelled at SEQR.
 *
 * Each invoice has one chain of delayed messages on a queue (deployed: SQS,
 * DelaySeconds ≤ 900): a round looks at the invoice, asks SEQR when its
 * once-a-second slot is free (`claimStatusCheck`, shared with the browser's
 * polling path), and sends the next message unless the invoice is final. The
 * round at the deadline cancels. Every status change goes through
 * `recordStatus`, as on every other path: stored, pushed to the sockets.
 */
import { RESULT, type InvoiceStatus } from '../../contract/index.js';
import type { Logger } from '../../log.js';
import { drainOutbox, hasPendingEvents, outboxClaimable } from '../events/outbox.js';
import type { InvoiceSnapshot, StoredInvoice } from '../invoices/invoice.js';
import { resultCodeOf } from '../invoices/operations.js';
import { STATUS_CHECK_INTERVAL_MS, isFinal } from '../invoices/status-rules.js';
import { StatusNotStoredError, recordStatus, refreshFromSeqr } from '../payments/payment-status.js';
import type { Clock, PaymentDeps, WatchMessage, WatchQueue } from '../ports.js';
import { PAYMENT_TIMEOUT_CANCEL_MESSAGE, WATCH_GAVE_UP_MESSAGE, WATCH_NOT_STARTED_MESSAGE } from './messages.js';

export interface WatchSettings {
  /** How often an open invoice is asked about, in ms; 0: never (its payment timeout still applies). */
  intervalMs: number;
  /** How long an invoice may stay unpaid (ISSUED) before it is cancelled, in ms. */
  paymentTimeoutMs: number;
  /** How long one getPaymentStatus of the watch may take, retries included: at least the SEQR client's time-out. */
  seqrBudgetMs: number;
}

export const DEFAULT_WATCH_INTERVAL_MS = 5_000;
export const DEFAULT_PAYMENT_TIMEOUT_MS = 10 * 60_000;
/** SQS's longest DelaySeconds: a later round is reached through intermediate ones. */
export const MAX_DELAY_SECONDS = 900;
/** Cancel attempts after the deadline before the watch gives up (SEQR refusing, or the shopper paying right then). */
export const MAX_CANCEL_ATTEMPTS = 10;
/** Rounds in a row that may fail unexpectedly (the store unreachable) before the watch gives up. */
export const MAX_FAILURES = 10;
/** The delay before the next cancel attempt when SEQR did not answer, growing to this at most. */
const MAX_CANCEL_RETRY_MS = 60_000;

export interface InvoiceWatch {
  queue: WatchQueue;
  settings: WatchSettings;
}

export type WatchDeps = PaymentDeps & InvoiceWatch;

export type WatchOutcome =
  /** The invoice is final (found so, or made so by this round): the chain ends. */
  | { outcome: 'final'; status: InvoiceStatus; checked: boolean }
  /** No such invoice (expired, or never stored): the chain ends. */
  | { outcome: 'gone' }
  /** The next round is sent. `checked`: SEQR was asked in this round. */
  | { outcome: 'rescheduled'; status: InvoiceStatus; checked: boolean; delaySeconds: number; message: WatchMessage }
  /** Past its timeout but not ISSUED (RESERVED, awaiting acknowledgement): the shop's to finish; the chain ends. */
  | { outcome: 'left'; status: InvoiceStatus }
  /** The round failed unexpectedly (the store unreachable): a new message tries it again. */
  | { outcome: 'retrying'; failures: number; delaySeconds: number; message: WatchMessage }
  /** Bounded: too many attempts; logged as an error (alarmed). */
  | { outcome: 'gave-up'; status?: InvoiceStatus; reason: string };

/** Whole seconds from `now` until `at`, as SQS takes them (0–900). */
export function delaySecondsUntil(at: number, now: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((at - now) / 1000)));
}

/**
 * How recent another path's status check may be for a round to skip its own:
 * an interval less a second, when two intervals fit in 15 s; else none.
 */
export function recentCheckSkipMs(intervalMs: number): number {
  return intervalMs > 0 && 2 * intervalMs <= 15_000 ? Math.max(0, intervalMs - 1_000) : 0;
}

/** When the round after one at `now` should look: the next check, or the deadline if that comes first. */
export function nextRoundAt(settings: WatchSettings, deadline: number, now: number): number {
  return settings.intervalMs > 0 ? Math.min(now + settings.intervalMs, deadline) : deadline;
}

/** Sends a new invoice's first watch message; its payment timeout runs from `createdAt`. */
export async function startWatch(deps: InvoiceWatch & { clock: Clock }, invoiceReference: string, createdAt: number): Promise<WatchMessage> {
  const message: WatchMessage = { invoiceReference, deadline: createdAt + deps.settings.paymentTimeoutMs };
  const now = deps.clock.now();
  await deps.queue.send(message, delaySecondsUntil(nextRoundAt(deps.settings, message.deadline, now), now));
  return message;
}

/** startWatch for the create path: a watch that cannot start is logged (alarmed), never fails the invoice. */
export async function startWatchQuietly(deps: InvoiceWatch & { clock: Clock }, invoiceReference: string, createdAt: number, log: Logger): Promise<void> {
  try {
    await startWatch(deps, invoiceReference, createdAt);
  } catch (error) {
    log.error(WATCH_NOT_STARTED_MESSAGE, { error });
  }
}

/**
 * Asks SEQR about the invoice if its once-a-second slot is free (waiting up to
 * `waitForSlotMs` for it). Returns the invoice as it now stands and whether
 * SEQR was asked; never throws for SEQR (the next round asks again).
 */
async function askSeqr(deps: WatchDeps, invoice: StoredInvoice, log: Logger, waitForSlotMs = 0): Promise<{ invoice: StoredInvoice; checked: boolean }> {
  // A page polling (or its heartbeat) asked SEQR moments ago: this round need not, so open pages
  // and the watch do not both ask. Only while two intervals still fit well inside SEQR's 20 s: a
  // payment just after a skipped round is then confirmed by the next one, at most 2 intervals on.
  const skipMs = recentCheckSkipMs(deps.settings.intervalMs);
  if (waitForSlotMs === 0 && skipMs > 0 && invoice.lastCheckedAt !== undefined && deps.clock.now() - invoice.lastCheckedAt < skipMs) {
    return { invoice, checked: false };
  }
  let claimed = await deps.invoices.claimStatusCheck(invoice.invoiceReference, STATUS_CHECK_INTERVAL_MS, deps.clock.now());
  if (!claimed && waitForSlotMs > 0) {
    await deps.clock.sleep(waitForSlotMs);
    claimed = await deps.invoices.claimStatusCheck(invoice.invoiceReference, STATUS_CHECK_INTERVAL_MS, deps.clock.now());
  }
  // Someone else (a browser's poll) asked within the second: SEQR has just been asked.
  if (!claimed) return { invoice, checked: false };
  try {
    const fresh = await refreshFromSeqr(deps, invoice, log, { deadline: deps.clock.now() + deps.settings.seqrBudgetMs });
    return { invoice: fresh as StoredInvoice, checked: true };
  } catch (error) {
    if (error instanceof StatusNotStoredError) {
      // SEQR has committed what it said; our store lags. Alarmed like a notification that failed.
      log.error('notification not confirmed', { failedAt: 'store', path: 'watch', error });
    } else {
      log.warn('status check could not reach SEQR', { path: 'watch', error });
    }
    return { invoice, checked: true };
  }
}

async function reschedule(deps: WatchDeps, message: WatchMessage, at: number, status: InvoiceStatus, checked: boolean): Promise<WatchOutcome> {
  const delaySeconds = delaySecondsUntil(at, deps.clock.now());
  await deps.queue.send(message, delaySeconds);
  return { outcome: 'rescheduled', status, checked, delaySeconds, message };
}

/**
 * A final invoice ends its watch once its events are out: a publish that failed
 * (the bus down) leaves them in the outbox, and with the page closed and no
 * notification to come, the watch is what publishes them, a round later.
 */
async function finalRound(deps: WatchDeps, message: WatchMessage, invoice: InvoiceSnapshot & Pick<StoredInvoice, 'outbox' | 'outboxLeaseUntil'>, checked: boolean, log: Logger): Promise<WatchOutcome> {
  if (!hasPendingEvents(invoice) || (await drainOutbox(deps, invoice))) return { outcome: 'final', status: invoice.status, checked };
  const failures = (message.failures ?? 0) + 1;
  if (failures > MAX_FAILURES) {
    log.error(WATCH_GAVE_UP_MESSAGE, { reason: 'events', failures });
    return { outcome: 'gave-up', status: invoice.status, reason: 'events' };
  }
  // Held by another path (it is publishing them now), or the bus refused: a look next round either way.
  const held = !outboxClaimable(invoice, deps.clock.now());
  log[held ? 'info' : 'warn']('invoice final with events still in its outbox; publishing them next round', { failures, held });
  const retryMs = Math.min(MAX_CANCEL_RETRY_MS, (deps.settings.intervalMs > 0 ? deps.settings.intervalMs : 5_000) * failures);
  return reschedule(deps, { ...message, failures }, deps.clock.now() + retryMs, invoice.status, checked);
}

/** One round of an invoice's watch. Throws only when the store or the queue fails. */
export async function watchRound(deps: WatchDeps, message: WatchMessage, log: Logger): Promise<WatchOutcome> {
  const invoice = await deps.invoices.get(message.invoiceReference);
  if (!invoice) {
    log.warn('invoice watch: no such invoice');
    return { outcome: 'gone' };
  }
  if (isFinal(invoice)) return finalRound(deps, message, invoice, false, log);
  const now = deps.clock.now();
  if (now >= message.deadline) return timeOut(deps, invoice, message, log);
  const { invoice: current, checked } = deps.settings.intervalMs > 0 ? await askSeqr(deps, invoice, log) : { invoice, checked: false };
  if (isFinal(current)) return finalRound(deps, message, current, checked, log);
  const next: WatchMessage = { invoiceReference: message.invoiceReference, deadline: message.deadline };
  return reschedule(deps, next, nextRoundAt(deps.settings, message.deadline, deps.clock.now()), current.status, checked);
}

/**
 * The payment timeout: cancelInvoice at SEQR, CANCELED stored and pushed. A
 * payment that got there first (50) is confirmed and stored PAID instead; a
 * shopper paying right now (51, 48) gets another look and a later attempt.
 */
async function timeOut(deps: WatchDeps, invoice: StoredInvoice, message: WatchMessage, log: Logger): Promise<WatchOutcome> {
  if (invoice.status !== 'ISSUED') {
    log.info('payment timeout passed; the invoice is left to the shop', { status: invoice.status });
    return { outcome: 'left', status: invoice.status };
  }
  const attempts = message.cancelAttempts ?? 0;
  if (attempts >= MAX_CANCEL_ATTEMPTS) {
    log.error(WATCH_GAVE_UP_MESSAGE, { reason: 'cancel', attempts });
    return { outcome: 'gave-up', status: invoice.status, reason: 'cancel' };
  }
  const again = (delayMs: number, status: InvoiceStatus, checked: boolean) =>
    reschedule(deps, { ...message, cancelAttempts: attempts + 1, failures: 0 }, deps.clock.now() + delayMs, status, checked);
  const checkInterval = deps.settings.intervalMs > 0 ? deps.settings.intervalMs : 5_000;
  log.info(PAYMENT_TIMEOUT_CANCEL_MESSAGE, { deadline: new Date(message.deadline).toISOString(), attempt: attempts + 1 });
  try {
    await deps.seqr.cancelInvoice(invoice.invoiceReference);
  } catch (error) {
    const code = resultCodeOf(error);
    switch (code) {
      case RESULT.INVOICE_ALREADY_CANCELED:
        // Canceled already (in the app, or by an earlier attempt whose answer was lost): store it as such.
        break;
      case RESULT.CANNOT_CANCEL_PAID_INVOICE:
      case RESULT.REJECTED_BUSINESS_LOGIC: {
        // Paid meanwhile (50) — SEQR reverses it unless asked now — or final at SEQR (10): ask, store what it says.
        log.info('payment timeout: SEQR would not cancel; asking for the status', { resultCode: code });
        const asked = await askSeqr(deps, invoice, log, STATUS_CHECK_INTERVAL_MS);
        if (isFinal(asked.invoice)) return { outcome: 'final', status: asked.invoice.status, checked: asked.checked };
        return again(STATUS_CHECK_INTERVAL_MS, asked.invoice.status, asked.checked);
      }
      case RESULT.CANNOT_CANCEL_INVOICE_IN_PROGRESS:
      case RESULT.PAYMENT_IN_PROGRESS: {
        // The shopper is paying right now: keep watching, cancel later if it comes to nothing.
        log.info('payment timeout: the shopper is paying; cancelling later', { resultCode: code });
        const asked = await askSeqr(deps, invoice, log);
        if (isFinal(asked.invoice)) return { outcome: 'final', status: asked.invoice.status, checked: asked.checked };
        return again(checkInterval, asked.invoice.status, asked.checked);
      }
      case RESULT.INVALID_INVOICE_REFERENCE:
        log.error(WATCH_GAVE_UP_MESSAGE, { reason: 'unknown at SEQR', resultCode: code });
        return { outcome: 'gave-up', status: invoice.status, reason: 'unknown at SEQR' };
      default: {
        // SEQR unreachable or busy: try again, sooner than the shopper would notice, later each time.
        log.warn('payment timeout: SEQR did not cancel; trying again', { error, attempt: attempts + 1 });
        const asked = deps.settings.intervalMs > 0 ? await askSeqr(deps, invoice, log) : { invoice, checked: false };
        if (isFinal(asked.invoice)) return { outcome: 'final', status: asked.invoice.status, checked: asked.checked };
        return again(Math.min(MAX_CANCEL_RETRY_MS, checkInterval * 2 ** attempts), asked.invoice.status, asked.checked);
      }
    }
  }
  // The SEQR version is not in cancelInvoice's answer: the stored one stands. PAID stored meanwhile wins (canAdvance).
  const stored = await recordStatus(deps, invoice, { status: 'CANCELED', seqrVersion: invoice.seqrVersion }, log);
  log.info('payment timeout: invoice canceled', { status: stored.status });
  return { outcome: 'final', status: stored.status, checked: false };
}

/**
 * A round as the queue's consumer runs it: a round that fails unexpectedly (the
 * store unreachable) is tried again by a new message, a bounded number of
 * times. Throws only when that message cannot be sent either (the queue then
 * delivers this one again).
 */
export async function handleWatchMessage(deps: WatchDeps, message: WatchMessage, parentLog: Logger): Promise<WatchOutcome> {
  const log = parentLog.with({ invoiceReference: message.invoiceReference });
  try {
    return await watchRound(deps, message, log);
  } catch (error) {
    const failures = (message.failures ?? 0) + 1;
    if (failures > MAX_FAILURES) {
      log.error(WATCH_GAVE_UP_MESSAGE, { reason: 'failures', failures, error });
      return { outcome: 'gave-up', reason: 'failures' };
    }
    log.warn('invoice watch round failed; trying again', { failures, error });
    const retryMs = Math.min(MAX_CANCEL_RETRY_MS, (deps.settings.intervalMs > 0 ? deps.settings.intervalMs : 5_000) * failures);
    const next: WatchMessage = { ...message, failures };
    const delaySeconds = delaySecondsUntil(deps.clock.now() + retryMs, deps.clock.now());
    await deps.queue.send(next, delaySeconds);
    return { outcome: 'retrying', failures, delaySeconds, message: next };
  }
}

/** Reads a watch message from a queue body; undefined when it is not one. */
export function parseWatchMessage(body: string): WatchMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { invoiceReference, deadline, cancelAttempts, failures } = value as Record<string, unknown>;
  const count = (n: unknown) => n === undefined || (typeof n === 'number' && Number.isInteger(n) && n >= 0);
  if (typeof invoiceReference !== 'string' || !/^\d{1,40}$/.test(invoiceReference)) return undefined;
  if (typeof deadline !== 'number' || !Number.isFinite(deadline) || !count(cancelAttempts) || !count(failures)) return undefined;
  return {
    invoiceReference,
    deadline,
    ...(cancelAttempts ? { cancelAttempts: cancelAttempts as number } : {}),
    ...(failures ? { failures: failures as number } : {}),
  };
}
