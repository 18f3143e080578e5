/** Exact money: decimal strings and integer minor units, never binary floats. */
import { describe, expect, it } from 'vitest';
import { formatMinor, isKnownCurrency, lineTotalMinor, minorUnitDigits, toScaled } from '../../src/core/money.js';
import { parseInvoiceRequest } from '../../src/core/invoices/invoice-request.js';

describe('When amounts are parsed and totalled', () => {
  it('should total 0.10 + 0.20 as exactly 0.30', () => {
    const invoice = parseInvoiceRequest({
      title: 't',
      currency: 'SEK',
      rows: [
        { description: 'a', quantity: '1', unitPrice: '0.10' },
        { description: 'b', quantity: '1', unitPrice: '0.20' },
      ],
    });
    expect(invoice.total).toBe('0.30');
  });

  it('should total many small rows exactly where float sums drift', () => {
    const invoice = parseInvoiceRequest({
      title: 't',
      currency: 'SEK',
      rows: Array.from({ length: 10 }, () => ({ description: 'a', quantity: '3', unitPrice: '0.07' })),
    });
    // 0.07 * 3 summed ten times in floats is 2.1000000000000005.
    expect(invoice.total).toBe('2.10');
  });

  it('should keep the largest allowed total exact', () => {
    const invoice = parseInvoiceRequest({
      title: 't',
      currency: 'SEK',
      rows: [
        { description: 'a', quantity: '3', unitPrice: '333333333333.33' },
      ],
    });
    expect(invoice.total).toBe('999999999999.99');
  });

  it('should use the currency’s own minor unit digits', () => {
    expect(minorUnitDigits('SEK')).toBe(2);
    expect(minorUnitDigits('JPY')).toBe(0);
    expect(parseInvoiceRequest({ title: 't', currency: 'JPY', rows: [{ description: 'a', quantity: '3', unitPrice: '100' }] }).total).toBe('300');
  });

  it('should refuse a line total that is not a whole minor unit rather than round it', () => {
    expect(() => lineTotalMinor('1.5', '0.99', 2)).toThrow();
    expect(lineTotalMinor('1.5', '1.00', 2)).toBe(150n);
  });

  it('should format and scale without losing digits', () => {
    expect(toScaled('25', 2)).toBe(2500n);
    expect(toScaled('25.10', 2)).toBe(2510n);
    expect(toScaled('25.001', 2)).toBeUndefined();
    expect(formatMinor(5n, 2)).toBe('0.05');
    expect(formatMinor(-150n, 2)).toBe('-1.50');
    expect(formatMinor(300n, 0)).toBe('300');
  });

  it('should know ISO 4217 currencies and no others', () => {
    expect(isKnownCurrency('SEK')).toBe(true);
    expect(isKnownCurrency('EUR')).toBe(true);
    expect(isKnownCurrency('XYZ')).toBe(false);
  });
});
