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
