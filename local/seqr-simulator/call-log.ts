/** What the simulator was asked and what it answered, for tests to assert on. */
export interface CallRecord {
  operation: string;
  invoiceReference?: string;
  ersReference?: string;
  terminalId?: string;
  /** null when no SOAP result was sent (an injected SOAP fault, HTTP error or dropped connection). */
  resultCode: number | null;
  /** The injected fault that shaped the answer, if any. */
  fault?: string;
  at: string;
  /**
   * When the request reached the simulator, in epoch milliseconds with sub-millisecond
   * precision (performance.timeOrigin + performance.now()): the request's arrival,
   * where `at` is when the answer was decided. Timing figures (npm run bench) use it.
   */
  receivedAtMs?: number;
}

/** Epoch milliseconds with sub-millisecond precision, comparable across the simulator's records. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

const LIMIT = 10_000;

export class CallLog {
  private records: CallRecord[] = [];

  add(record: Omit<CallRecord, 'at'>): void {
    this.records.push({ ...record, at: new Date().toISOString() });
    // Long local runs poll once a second; keep memory bounded.
    if (this.records.length > LIMIT) this.records.splice(0, this.records.length - LIMIT);
  }

  list(filter: { operation?: string; invoiceReference?: string } = {}): CallRecord[] {
    return this.records.filter(
      (r) =>
        (filter.operation === undefined || r.operation === filter.operation) &&
        (filter.invoiceReference === undefined || r.invoiceReference === filter.invoiceReference),
    );
  }

  clear(): number {
    const count = this.records.length;
    this.records = [];
    return count;
  }
}
