/** The log lines of the period flow that CloudWatch alarms match (infra/seqr-webshop-payments.ts). */

/** A report SEQR did not give by the end of a run (still code 2, a refusal, or unreachable): retried by the next run. */
export const REPORT_PENDING_MESSAGE = 'transaction period report pending';
/** SEQR gave a report that could not be read. */
export const REPORT_UNREADABLE_MESSAGE = 'transaction period report unreadable';
/** Retrying an earlier period's work failed (the run went on with the others). */
export const PERIOD_WORK_FAILED_MESSAGE = 'transaction period work failed';
/** One line per difference between SEQR's detail report and our store. */
export const RECONCILIATION_DIFFERENCE_MESSAGE = 'reconciliation difference';
/** The detail report could not be compared at all. */
export const RECONCILIATION_FAILED_MESSAGE = 'reconciliation failed';
/** One line per reconciled period. */
export const RECONCILIATION_SUMMARY_MESSAGE = 'reconciliation summary';
