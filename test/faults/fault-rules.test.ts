/**
 * The simulator's fault rules that the fault suite leans on: every n-th call,
 * a seeded probability (the same seed draws the same calls), N consecutive
 * faults per invoice, latency ranges, late and duplicated notifications.
 */
import { describe, expect, it } from 'vitest';
import { FaultInputError, FaultRules } from '../../local/seqr-simulator/faults.js';

const acted = (rules: FaultRules, calls: number, ref?: (i: number) => string) =>
  Array.from({ length: calls }, (_, i) => rules.forCall('getPaymentStatus', ref?.(i)).answer !== undefined);

describe('When a fault rule picks calls', () => {
  it('should act on every n-th matching call only, count times', () => {
    const rules = new FaultRules();
    rules.add({ kind: 'httpError', status: 503, operation: 'getPaymentStatus', every: 3, count: 2 });
    expect(rules.forCall('sendInvoice').answer).toBeUndefined();
    expect(acted(rules, 9)).toEqual([false, false, true, false, false, true, false, false, false]);
    expect(rules.list()).toEqual([]);
  });

  it('should draw a probability from its seed: the same seed picks the same calls, another seed others', () => {
    const pick = (seed: number) => {
      const rules = new FaultRules();
      rules.add({ kind: 'soapFault', probability: 0.1, seed, count: 'unlimited' });
      return acted(rules, 2_000);
    };
    const a = pick(42);
    expect(pick(42)).toEqual(a);
    expect(pick(43)).not.toEqual(a);
    const share = a.filter(Boolean).length / a.length;
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
  });

  it('should give each invoice its own N consecutive faults with perInvoice, and then none', () => {
    const rules = new FaultRules();
    rules.add({ kind: 'resultCode', code: 94, operation: 'getPaymentStatus', perInvoice: true, count: 3 });
    const refs = ['A', 'B', 'A', 'A', 'B', 'A', 'B', 'B', 'C'];
    expect(acted(rules, refs.length, (i) => refs[i]!)).toEqual([true, true, true, true, true, false, true, false, true]);
    expect(rules.list()[0]).toMatchObject({ perInvoice: true, remaining: 3, acted: 7 });
  });

  it('should chain rules: the first acting one decides, later ones are not used up', () => {
    const rules = new FaultRules();
    rules.add({ kind: 'soapFault', perInvoice: true, count: 1 });
    rules.add({ kind: 'httpError', status: 503, perInvoice: true, count: 1 });
    rules.add({ kind: 'dropConnection', perInvoice: true, count: 1 });
    const kinds = Array.from({ length: 4 }, () => rules.forCall('getPaymentStatus', 'A').answer?.kind ?? 'answer');
    expect(kinds).toEqual(['soapFault', 'httpError', 'dropConnection', 'answer']);
  });

  it('should draw latency in [ms, maxMs] and add every latency rule up', () => {
    const rules = new FaultRules();
    rules.add({ kind: 'latency', ms: 600, maxMs: 1_000, count: 'unlimited', seed: 7 });
    rules.add({ kind: 'latency', ms: 5, count: 'unlimited' });
    const delays = Array.from({ length: 200 }, () => rules.forCall('getPaymentStatus').delayMs);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(605);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1_005);
    expect(new Set(delays.map(Math.round)).size).toBeGreaterThan(50);
  });

  it('should plan late and duplicated notifications with their delays', () => {
    const rules = new FaultRules();
    rules.add({ kind: 'notification', mode: 'duplicate', copies: 5, delayMs: 100, maxDelayMs: 900, count: 1 });
    rules.add({ kind: 'notification', mode: 'late', delayMs: 250, count: 1 });
    rules.add({ kind: 'notification', mode: 'drop', every: 2, count: 1 });
    const first = rules.notificationPlan('A').delaysMs;
    expect(first).toHaveLength(5);
    for (const d of first) expect(d >= 100 && d <= 900).toBe(true);
    expect(rules.notificationPlan('B').delaysMs).toEqual([250]);
    expect(rules.notificationPlan('C').delaysMs).toEqual([0]); // the drop rule's first matching payment is not its every-2nd
    expect(rules.notificationPlan('D').delaysMs).toEqual([]);
    expect(rules.notificationPlan('E').delaysMs).toEqual([0]);
  });

  it('should refuse malformed selections with a reason', () => {
    const rules = new FaultRules();
    for (const bad of [
      { kind: 'soapFault', probability: 0 },
      { kind: 'soapFault', probability: 1.5 },
      { kind: 'soapFault', every: 0 },
      { kind: 'soapFault', seed: 1.5 },
      { kind: 'soapFault', count: 'forever' },
      { kind: 'latency', ms: 10, maxMs: 5 },
      { kind: 'notification', mode: 'late' },
      { kind: 'notification', mode: 'duplicate', delayMs: 10, maxDelayMs: 1 },
      { kind: 'soapFault', perInvoice: 'yes' },
    ]) {
      expect(() => rules.add(bad), JSON.stringify(bad)).toThrow(FaultInputError);
    }
  });
});
