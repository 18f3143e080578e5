/** Log messages of the watch that alarms count (the construct's metric filters match them exactly). */

/** An invoice's watch stopped before its invoice was final: nobody will cancel it or ask SEQR about it. */
export const WATCH_GAVE_UP_MESSAGE = 'invoice watch gave up';
/** A new invoice's first watch message could not be sent: it has no watch and no payment timeout. */
export const WATCH_NOT_STARTED_MESSAGE = 'invoice watch not started';
/** Logged just before the payment timeout's cancelInvoice. */
export const PAYMENT_TIMEOUT_CANCEL_MESSAGE = 'payment timeout: cancelling the invoice at SEQR';
