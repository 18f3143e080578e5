/**
 * SEQR's 20-second rule: a payment not confirmed by a PAID getPaymentStatus
 * within the window is reversed. One timer per PAID invoice. The timers are
 * unref'd: a pending reversal never keeps a process alive (stop() still clears them).
 */
export class ConfirmationTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly windowMs: number,
    private readonly onExpired: (invoiceReference: string) => void,
  ) {}

  start(invoiceReference: string): void {
    this.clear(invoiceReference);
    const timer = setTimeout(() => {
      this.timers.delete(invoiceReference);
      this.onExpired(invoiceReference);
    }, this.windowMs);
    timer.unref();
    this.timers.set(invoiceReference, timer);
  }

  clear(invoiceReference: string): void {
    const timer = this.timers.get(invoiceReference);
    if (timer) clearTimeout(timer);
    this.timers.delete(invoiceReference);
  }

  clearAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
