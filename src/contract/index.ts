/** What crosses a wire: the handlers, the payment view, the simulator and the tests all import it from here. */
export * from './statuses.js';
export * from './messages.js';
export * from './error-codes.js';
export * from './events.js';
export { SEQR_RESULT_CODES, RESULT, TRANSIENT_RESULT_CODES, resultCodeName, type SeqrResultCode, type SeqrResultName } from './result-codes.js';
