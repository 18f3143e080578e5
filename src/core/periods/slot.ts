/** Schedule slots: the minute a transaction period is closed for. */

/** The slot is a time that is not one: the schedule's input is wrong. */
export class InvalidPeriodSlotError extends Error {
  override readonly name = 'InvalidPeriodSlotError';
  constructor(readonly value: unknown) {
    super(`not a schedule time: ${JSON.stringify(value)}`);
  }
}

/** A slot as stored: `2025-01-31T23:00Z`. */
export const SLOT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/;

/**
 * The slot of a scheduled time: ISO 8601 UTC truncated to the minute (`2025-01-31T23:00Z`).
 * Without a time (a run by hand) the current minute.
 */
export function periodSlot(scheduledTime?: string | Date, now: number = Date.now()): string {
  const at = scheduledTime === undefined || scheduledTime === '' ? new Date(now) : new Date(scheduledTime);
  if (Number.isNaN(at.getTime())) throw new InvalidPeriodSlotError(scheduledTime);
  return `${at.toISOString().slice(0, 16)}Z`;
}
