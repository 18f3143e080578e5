/**
 * Closing SEQR's transaction period (markTransactionPeriod), once per schedule
 * slot. EventBridge Scheduler may deliver a schedule more than once and retries
 * failures; the slot claim in the periods table makes every delivery after the
 * first a no-op, so reconciliation sees one period per slot.
 *
 * Outcomes:
 * - `marked`: this run claimed the slot and SEQR closed the period.
 * - `already-marked`: an earlier run closed it; SEQR is not called.
 * - `in-progress`: another run holds a live claim; SEQR is not called. The
 *   caller fails so that a retry comes back after the other run has finished
 *   (or crashed and its lease has run out).
 */
import { randomUUID } from 'node:crypto';
import { SeqrError } from '../seqr/errors.js';
import type { SeqrMerchantApi } from '../seqr/merchant-api.js';
import { createLogger, type Logger } from '../../log.js';

export interface StoredPeriod {
  /** The schedule slot: the scheduled time truncated to the minute, ISO 8601 UTC (`2025-01-31T23:00Z`). */
  slot: string;
  /** Which run holds the claim (a random id per run). */
  claimId: string;
  /** Epoch ms when the claim was taken; with the lease it says when a stuck claim may be taken over. */
  claimedAt: number;
  /** How many runs have claimed this slot (more than 1: a stuck claim was taken over). */
  attempts: number;
  /** SEQR's id of the closed period (25 digits), once marked. */
  transactionPeriodId?: string;
  /** When SEQR answered, ISO 8601. */
  markedAt?: string;
}

export type ClaimResult =
  | { claimed: true; period: StoredPeriod }
  /** Someone else has the slot: marked already, or a live claim. */
  | { claimed: false; period: StoredPeriod | undefined };

/** Transaction periods, one per schedule slot; every write conditional (the port of src/adapters/dynamodb/periods.ts). */
export interface PeriodStore {
  /** Claims the slot: succeeds when it is new, or holds no transactionPeriodId and its claim is older than the lease. */
  claimSlot(slot: string, claimId: string, now: number, leaseMs: number): Promise<ClaimResult>;
  /** Stores SEQR's answer on the claim; false if this run no longer holds it. */
  recordTransactionPeriod(slot: string, claimId: string, transactionPeriodId: string, markedAt: string): Promise<boolean>;
  /** Gives the slot back (SEQR said no: nothing was marked). */
  releaseSlot(slot: string, claimId: string): Promise<void>;
}

export interface PeriodDeps {
  periods: PeriodStore;
  seqr: SeqrMerchantApi;
}

/**
 * How long a claim without a transactionPeriodId blocks other runs. Longer
 * than the function's 60 s time-out, so a taken-over claim's run is dead.
 */
export const PERIOD_CLAIM_LEASE_MS = 2 * 60_000;

export type TransactionPeriodOutcome =
  | { outcome: 'marked'; slot: string; transactionPeriodId: string; markedAt: string }
  | { outcome: 'already-marked'; slot: string; transactionPeriodId: string; markedAt?: string }
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

/** The slot is a time that is not one: the schedule's input is wrong. */
export class InvalidPeriodSlotError extends Error {
  override readonly name = 'InvalidPeriodSlotError';
  constructor(readonly value: unknown) {
    super(`not a schedule time: ${JSON.stringify(value)}`);
  }
}

/**
 * The slot of a scheduled time: ISO 8601 UTC truncated to the minute (`2025-01-31T23:00Z`).
 * Without a time (a run by hand) the current minute.
 */
export function periodSlot(scheduledTime?: string | Date, now: number = Date.now()): string {
  const at = scheduledTime === undefined || scheduledTime === '' ? new Date(now) : new Date(scheduledTime);
  if (Number.isNaN(at.getTime())) throw new InvalidPeriodSlotError(scheduledTime);
  return `${at.toISOString().slice(0, 16)}Z`;
}

export interface CloseTransactionPeriodOptions {
  /** The scheduled time (`<aws.scheduler.scheduled-time>`), or a slot; the current minute when not given. */
  scheduledTime?: string;
  /** Passed to markTransactionPeriod, e.g. `{ TERMINALID: '…' }` for per-terminal reports 006/007. */
  parameters?: Record<string, string>;
  leaseMs?: number;
  now?: () => number;
  log?: Logger;
}

function markedOutcome(slot: string, period: StoredPeriod & { transactionPeriodId: string }): TransactionPeriodOutcome {
  return {
    outcome: 'already-marked',
    slot,
    transactionPeriodId: period.transactionPeriodId,
    ...(period.markedAt ? { markedAt: period.markedAt } : {}),
  };
}

/** Closes the transaction period of one schedule slot, at most once. */
export async function closeTransactionPeriod(deps: PeriodDeps, options: CloseTransactionPeriodOptions = {}): Promise<TransactionPeriodOutcome> {
  const now = options.now ?? Date.now;
  const slot = periodSlot(options.scheduledTime, now());
  const leaseMs = options.leaseMs ?? PERIOD_CLAIM_LEASE_MS;
  const claimId = randomUUID();
  const log = (options.log ?? createLogger({ service: 'seqr-webshop' })).with({ slot, claimId });

  const claim = await deps.periods.claimSlot(slot, claimId, now(), leaseMs);
  if (!claim.claimed) {
    const existing = claim.period;
    if (existing?.transactionPeriodId) {
      log.info('transaction period already marked', { transactionPeriodId: existing.transactionPeriodId });
      return markedOutcome(slot, { ...existing, transactionPeriodId: existing.transactionPeriodId });
    }
    // The claim vanished between the write and the read (released after a SEQR error), or is live.
    const claimedAt = existing?.claimedAt ?? now();
    log.warn('transaction period being marked by another run', { claimedAt: new Date(claimedAt).toISOString() });
    return { outcome: 'in-progress', slot, claimedAt };
  }
  if (claim.period.attempts > 1) log.warn('took over a stale transaction period claim', { attempts: claim.period.attempts });

  let transactionPeriodId: string;
  try {
    ({ transactionPeriodId } = await deps.seqr.markTransactionPeriod(options.parameters));
  } catch (error) {
    if (error instanceof SeqrError) {
      // SEQR answered no: nothing was marked, so the slot is free for the retry at once.
      await deps.periods.releaseSlot(slot, claimId).catch((releaseError: unknown) =>
        log.warn('could not release the transaction period claim', { error: releaseError }),
      );
    }
    // Otherwise (time-out, network) SEQR may have marked it: the claim stands until its lease runs out.
    log.error('markTransactionPeriod failed', { error });
    throw error;
  }
  if (!transactionPeriodId) throw new Error('markTransactionPeriod answered without a transactionPeriodId');

  const markedAt = new Date(now()).toISOString();
  const recorded = await deps.periods.recordTransactionPeriod(slot, claimId, transactionPeriodId, markedAt);
  if (!recorded) {
    // Only after a run outlived its lease: SEQR has two periods for this slot; say which.
    log.error('transaction period marked but the claim was lost', { transactionPeriodId });
  } else {
    log.info('transaction period marked', { transactionPeriodId, markedAt });
  }
  return { outcome: 'marked', slot, transactionPeriodId, markedAt };
}
