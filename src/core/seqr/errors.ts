import { resultCodeName } from '../../contract/index.js';

/** SEQR answered with a non-zero resultCode. */
export class SeqrError extends Error {
  override readonly name = 'SeqrError';
  /** The code's documented name, e.g. INVALID_INVOICE_REFERENCE for 54. */
  readonly codeName: string;
  constructor(
    readonly operation: string,
    readonly resultCode: number,
    readonly resultDescription?: string,
  ) {
    super(`SEQR ${operation} failed: ${resultCode} ${resultCodeName(resultCode)}`);
    this.codeName = resultCodeName(resultCode);
  }
}

export type TransportFailure = 'timeout' | 'http' | 'soap-fault' | 'network' | 'malformed';

/** SEQR could not be reached, or answered with something other than a SOAP result. */
export class SeqrTransportError extends Error {
  override readonly name = 'SeqrTransportError';
  constructor(
    readonly operation: string,
    readonly failure: TransportFailure,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(`SEQR ${operation} ${failure}: ${message}`);
  }
}
