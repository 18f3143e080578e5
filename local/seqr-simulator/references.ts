/**
 * Reference numbers in SEQR's documented shapes: invoice references of 13–17
 * digits (the documented sample, 1397222701693, reads as epoch milliseconds),
 * and 25-digit ersReference / paymentReference / transactionPeriodId.
 */
import { randomInt } from 'node:crypto';

function randomDigits(count: number): string {
  let out = '';
  while (out.length < count) out += String(randomInt(0, 1_000_000)).padStart(6, '0');
  return out.slice(0, count);
}

export class ReferenceFactory {
  private readonly issued = new Set<string>();
  private sequence = 0;

  /** 16 digits: epoch milliseconds plus a 3-digit sequence, unique in this simulator. */
  invoiceReference(): string {
    return this.unique(() => {
      this.sequence = (this.sequence + 1) % 1000;
      return `${Date.now()}${String(this.sequence).padStart(3, '0')}`;
    });
  }

  /** 25 digits: a UTC timestamp (yyyyMMddHHmmss) and 11 random digits. */
  longReference(): string {
    return this.unique(() => {
      const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
      return stamp + randomDigits(11);
    });
  }

  private unique(make: () => string): string {
    for (;;) {
      const candidate = make();
      if (!this.issued.has(candidate)) {
        this.issued.add(candidate);
        return candidate;
      }
    }
  }
}
