/** A SEQR merchant SOAP server for tests and the local stack. See README.md. */
export { startSeqrSimulator, SOAP_PATH, type RunningSimulator } from './simulator.js';
export type { SimulatorOptions } from './options.js';
export type { InvoiceView } from './state.js';
export type { CallRecord } from './call-log.js';
export type { FaultRule, FaultSpec } from './faults.js';
