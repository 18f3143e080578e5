// Intent: the rules every store applies atomically, pinned one by one (no server).
import { describe, expect, it } from 'vitest';
import { canAdvance, pushAllowed, statusCheckDue } from '../../../src/core/invoices/status-rules.js';

describe('canAdvance: a status moves only forward', () => {
  it('should let an open invoice move to any other status', () => {
    expect(canAdvance({ status: 'ISSUED', seqrVersion: 0 }, { status: 'PAID', seqrVersion: 1 })).toBe(true);
    expect(canAdvance({ status: 'ISSUED', seqrVersion: 0 }, { status: 'CANCELED', seqrVersion: 1 })).toBe(true);
    expect(canAdvance({ status: 'ISSUED', seqrVersion: 1 }, { status: 'RESERVED', seqrVersion: 2 })).toBe(true);
  });
  it('should change nothing for the same status again (a duplicate answer)', () => {
    expect(canAdvance({ status: 'PAID', seqrVersion: 2 }, { status: 'PAID', seqrVersion: 2 })).toBe(false);
    expect(canAdvance({ status: 'ISSUED', seqrVersion: 1 }, { status: 'ISSUED', seqrVersion: 3 })).toBe(false);
  });
  it('should never leave a final status for another one but PAID', () => {
    for (const final of ['CANCELED', 'FAILED', 'EXPIRED'] as const) {
      expect(canAdvance({ status: final, seqrVersion: 2 }, { status: 'ISSUED', seqrVersion: 5 })).toBe(false);
      expect(canAdvance({ status: final, seqrVersion: 2 }, { status: 'PAID', seqrVersion: 3 })).toBe(true);
    }
    expect(canAdvance({ status: 'PAID', seqrVersion: 2 }, { status: 'CANCELED', seqrVersion: 9 })).toBe(false);
  });
  it('should ignore an answer older than the stored SEQR version, unless it is PAID', () => {
    expect(canAdvance({ status: 'RESERVED', seqrVersion: 3 }, { status: 'ISSUED', seqrVersion: 2 })).toBe(false);
    expect(canAdvance({ status: 'RESERVED', seqrVersion: 3 }, { status: 'PAID', seqrVersion: 2 })).toBe(true);
  });
});

describe('statusCheckDue: SEQR is asked at most once a second per invoice', () => {
  it('should allow the first check, refuse one inside the second, allow one after it', () => {
    expect(statusCheckDue(undefined, 10_000)).toBe(true);
    expect(statusCheckDue(10_000, 10_999)).toBe(false);
    expect(statusCheckDue(10_000, 11_000)).toBe(true);
  });
});

describe('pushAllowed: each connection hears a final status once', () => {
  it('should push an open status again (a repeated subscribe) but a final one only once', () => {
    expect(pushAllowed(undefined, 'ISSUED')).toBe(true);
    expect(pushAllowed(0, 'ISSUED')).toBe(true);
    expect(pushAllowed(0, 'PAID')).toBe(true);
    expect(pushAllowed(1, 'PAID')).toBe(false);
    expect(pushAllowed(1, 'CANCELED')).toBe(false);
  });
  it('should never push an open status after a final one', () => {
    expect(pushAllowed(1, 'ISSUED')).toBe(false);
  });
});
