import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../local/seqr-simulator/index.js';
import { invoice, RESELLER, resellerContext, Seqr, startSimulator, terminalContext, WEBSHOP } from './helpers.js';

describe('context authentication', () => {
  let sim: RunningSimulator;
  let seqr: Seqr;
  const logLines: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ log: (line) => logLines.push(line) });
    seqr = await Seqr.connect(sim);
  });
  afterAll(() => sim.stop());

  it('accepts a TERMINALID principal without a userId (Seamless sample style)', async () => {
    expect((await seqr.sendInvoice(invoice(), terminalContext(WEBSHOP))).resultCode).toBe(0);
  });

  it('accepts a TERMINALID principal with a userId (plugin style)', async () => {
    expect((await seqr.sendInvoice(invoice(), terminalContext(WEBSHOP, { userId: '9900' }))).resultCode).toBe(0);
  });

  it('answers 20 AUTHENTICATION_FAILED for a wrong terminal password', async () => {
    const answer = await seqr.sendInvoice(invoice(), terminalContext({ ...WEBSHOP, password: 'wrong-password' }));
    expect(answer).toMatchObject({ resultCode: 20, resultDescription: 'AUTHENTICATION_FAILED' });
  });

  it('answers 20 AUTHENTICATION_FAILED for a wrong reseller password', async () => {
    const answer = await seqr.call('markTransactionPeriod', { context: resellerContext({ ...RESELLER, password: 'not-this-one' }) });
    expect(answer.resultCode).toBe(20);
  });

  it('answers 21 ACCESS_DENIED for a password under 4 characters', async () => {
    const answer = await seqr.sendInvoice(invoice(), terminalContext({ ...WEBSHOP, password: 'abc' }));
    expect(answer).toMatchObject({ resultCode: 21, resultDescription: 'ACCESS_DENIED' });
  });

  it('answers 21 ACCESS_DENIED when a webshop operation is called with a RESELLERUSER principal', async () => {
    const answer = await seqr.sendInvoice(invoice(), resellerContext());
    expect(answer.resultCode).toBe(21);
  });

  it('answers 21 ACCESS_DENIED when markTransactionPeriod is called with a TERMINALID principal', async () => {
    const answer = await seqr.call('markTransactionPeriod', { context: terminalContext() });
    expect(answer.resultCode).toBe(21);
  });

  it('answers 29 INVALID_INITIATOR_PRINCIPAL_ID for an unknown terminal', async () => {
    const answer = await seqr.sendInvoice(invoice(), terminalContext({ terminalId: 'no-such-terminal', password: 'local-password' }));
    expect(answer).toMatchObject({ resultCode: 29, resultDescription: 'INVALID_INITIATOR_PRINCIPAL_ID' });
  });

  it('answers 37 INITIATOR_PRINCIPAL_NOT_FOUND for an unknown reseller user', async () => {
    const unknownReseller = await seqr.call('markTransactionPeriod', { context: resellerContext({ ...RESELLER, resellerId: 'nobody' }) });
    const unknownUserId = await seqr.call('executeReport', {
      context: resellerContext({ ...RESELLER, userId: '1234' }),
      reportId: 'Reconciliation/Shop.xml',
      language: 'en',
    });
    expect(unknownReseller).toMatchObject({ resultCode: 37, resultDescription: 'INITIATOR_PRINCIPAL_NOT_FOUND' });
    expect(unknownUserId.resultCode).toBe(37);
  });

  it('authenticates every terminal configured, each with its own password', async () => {
    const other = { terminalId: 'other-webshop', password: 'other-password' };
    expect((await seqr.sendInvoice(invoice(), terminalContext(other))).resultCode).toBe(0);
    expect((await seqr.sendInvoice(invoice(), terminalContext({ ...other, password: WEBSHOP.password }))).resultCode).toBe(20);
  });

  it('never writes a password to the log', () => {
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(line).not.toContain('local-password');
      expect(line).not.toContain('other-password');
      expect(line).not.toContain('wrong-password');
    }
  });
});
