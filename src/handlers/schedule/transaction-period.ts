/**
 * EventBridge Scheduler → closes SEQR's transaction period for the schedule slot.
 *
 * Event: the schedule's input, `{"scheduledTime":"<aws.scheduler.scheduled-time>"}`
 * (ISO 8601, e.g. `2025-01-31T23:00:00Z`); a hand-made invocation may leave it out
 * (the current minute) or add `parameters` for markTransactionPeriod.
 * Result: the outcome as JSON. A live claim by another run fails the invocation,
 * so Lambda's asynchronous retry comes back after it (failures end in the DLQ).
 */
import { dynamoPeriodStore } from '../../adapters/dynamodb/periods.js';
import { seqrFromConfig } from '../../adapters/seqr/client.js';
import { log } from '../../log.js';
import { TransactionPeriodInProgressError, closeTransactionPeriod, type TransactionPeriodOutcome } from '../../core/periods/transaction-period.js';

export interface TransactionPeriodEvent {
  scheduledTime?: string;
  parameters?: Record<string, string>;
}

function parameters(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
}

const deps = { periods: dynamoPeriodStore, seqr: seqrFromConfig };

export const handler = async (event: TransactionPeriodEvent | null | undefined): Promise<TransactionPeriodOutcome> => {
  const scheduledTime = typeof event?.scheduledTime === 'string' ? event.scheduledTime : undefined;
  const extra = parameters(event?.parameters);
  const result = await closeTransactionPeriod(deps, {
    ...(scheduledTime ? { scheduledTime } : {}),
    ...(extra ? { parameters: extra } : {}),
    log: log.with({ function: 'transactionPeriod' }),
  });
  if (result.outcome === 'in-progress') throw new TransactionPeriodInProgressError(result.slot, result.claimedAt);
  return result;
};
