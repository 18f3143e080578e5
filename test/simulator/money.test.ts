import { describe, expect, it } from 'vitest';
import { addMoney, compareMoney, formatMoney, parseMoney, sumMoney } from '../../local/seqr-simulator/money.js';

const m = (text: string) => parseMoney(text)!;

describe('simulator money arithmetic', () => {
  it('adds 0.10 + 0.20 to exactly 0.30', () => {
    expect(formatMoney(addMoney(m('0.10'), m('0.20')))).toBe('0.30');
    expect(compareMoney(addMoney(m('0.1'), m('0.2')), m('0.3'))).toBe(0);
  });

  it('tells 0.30000000000000004 apart from 0.30', () => {
    expect(compareMoney(m('0.30000000000000004'), m('0.30'))).toBe(1);
  });

  it('sums many small amounts without drift', () => {
    expect(formatMoney(sumMoney(Array.from({ length: 1000 }, () => m('0.01'))))).toBe('10.00');
  });

  it('keeps amounts beyond float precision exact', () => {
    expect(formatMoney(addMoney(m('90071992547409.93'), m('0.01')))).toBe('90071992547409.94');
  });

  it('handles negatives and signs', () => {
    expect(formatMoney(addMoney(m('100.00'), m('-10.5')))).toBe('89.50');
    expect(formatMoney(m('-0.05'))).toBe('-0.05');
    expect(formatMoney(m('+3'))).toBe('3.00');
  });

  it('refuses what is not an xs:decimal', () => {
    for (const text of ['', '1e3', '1,00', '.5', 'abc', '1.', 'NaN']) expect(parseMoney(text)).toBeUndefined();
  });
});
