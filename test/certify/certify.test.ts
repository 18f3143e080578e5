/**
 * `npm run certify --fast` as CI runs it: SEQR's webshop certification steps
 * against the local simulator, through our own routes, in a child process.
 * It must pass every step, name each with its SOAP operation and result code,
 * and write its record; and it must fail, naming the step, when SEQR refuses one.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** FACTS.md §9, as steps: id, words of its title, and the SOAP operation it must show. */
const STEPS: [string, RegExp, string | undefined][] = [
  ['1', /sendInvoice with rows.*clientReference, clientRequestTimeout/, 'sendInvoice'],
  ['2.1', /getPaymentStatus before the invoice is scanned/, 'getPaymentStatus'],
  ['2.2', /the shopper scans/, undefined],
  ['2.3', /getPaymentStatus after the scan/, 'getPaymentStatus'],
  ['2.4', /sendInvoice again/, 'sendInvoice'],
  ['2.5', /wait 1 s/, undefined],
  ['2.6', /getPaymentStatus with the old/, 'getPaymentStatus'],
  ['3.1', /pays the second invoice.*PAID/, 'getPaymentStatus'],
  ['3.2', /submitPaymentReceipt/, 'submitPaymentReceipt'],
  ['4.1', /sendInvoice/, 'sendInvoice'],
  ['4.2', /getPaymentStatus/, 'getPaymentStatus'],
  ['4.3', /cancelInvoice/, 'cancelInvoice'],
  ['5.1', /sendInvoice/, 'sendInvoice'],
  ['5.2', /getPaymentStatus/, 'getPaymentStatus'],
  ['5.3', /scans and pays.*PAID/, 'getPaymentStatus'],
  ['5.4', /refundPayment/, 'refundPayment'],
  ['6.1', /markTransactionPeriod/, 'markTransactionPeriod'],
  ['6.2', /executeReport/, 'executeReport'],
  ['6.3', /reconciliation/, undefined],
];

function npmRunCertify(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Exactly as documented: npm takes --fast itself and hands it on as npm_config_fast.
    const child = spawn('npm', ['run', 'certify', '--fast'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), 100_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('When npm run certify --fast runs against the simulator', () => {
  it('should pass every certification step, name each with its SOAP result, and record the run', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'certify-')), 'run.json');
    const { code, output } = await npmRunCertify({ CERTIFY_RESULTS_FILE: file });
    expect(code, output).toBe(0);
    expect(output).toContain('CERTIFICATION PASSED: 19 of 19 steps passed');
    for (const [id, title, operation] of STEPS) {
      const block = new RegExp(`PASS  ${id.replace('.', '\\.')}\\s+[^\\n]*\\n[^\\n]*\\n\\s+SOAP: ([^\\n]*)`).exec(output);
      expect(block, `step ${id}`).not.toBeNull();
      expect(output, `step ${id}`).toMatch(new RegExp(`PASS  ${id.replace('.', '\\.')}\\s+.*${title.source}`));
      if (operation) expect(block![1], `step ${id}`).toMatch(new RegExp(`${operation} → 0 SUCCESS`));
    }
    // The refund of step 5.4 is in the period's report and matched with the one our route stored.
    expect(output).toMatch(/PASS  6\.3 [^\n]*\n.*\n.*\n\s+done: 2 payment\(s\) and 1 of 1 refund\(s\) matched, 0 difference\(s\)/);
    // SEQR's report is not ready at first: step 6.2 shows the code-2 answers before the report.
    expect(output).toMatch(/executeReport → 2 REPORT_NOT_READY.*executeReport → 0 SUCCESS/);
    // Every step that calls SEQR goes through our own route, none through the SEQR client directly.
    const via = Object.fromEntries(STEPS.map(([id]) => [id, new RegExp(`(?:PASS|FAIL)  ${id.replace('.', '\\.')}\\s+[^\\n]*\\n\\s+via ([^\\n]*)`).exec(output)?.[1]]));
    expect(via['3.2']).toBe('POST /invoices/{ref}/receipt');
    expect(via['4.3']).toBe('POST /invoices/{ref}/cancel');
    expect(via['5.4']).toBe('POST /invoices/{ref}/refunds (Idempotency-Key)');
    expect(via['6.1']).toBe('POST /transaction-periods');
    expect(via['6.2']).toMatch(/GET \/transaction-periods\/\{id\}/);
    expect(output).not.toMatch(/SEQR client/i);

    const record = JSON.parse(readFileSync(file, 'utf8'));
    expect(record).toMatchObject({ target: 'simulator', fast: true, passed: true });
    expect(record.steps.map((step: { id: string }) => step.id)).toEqual(STEPS.map(([id]) => id));
    for (const step of record.steps) expect(step.passed, step.id).toBe(true);
    for (const step of record.steps) {
      const operation = STEPS.find(([id]) => id === step.id)![2];
      if (operation) expect(step.calls, step.id).toEqual(expect.arrayContaining([expect.objectContaining({ operation, resultCode: 0, codeName: 'SUCCESS' })]));
    }
    expect(readFileSync(file.replace(/\.json$/, '.log'), 'utf8')).toContain('"message":"seqr call"');
  }, 120_000);

  it('should exit 1 and name the step when SEQR refuses it', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'certify-')), 'run.json');
    const { code, output } = await npmRunCertify({
      CERTIFY_RESULTS_FILE: file,
      SEQR_CERTIFY_SIMULATOR_FAULTS: JSON.stringify([{ operation: 'cancelInvoice', kind: 'resultCode', code: 90 }]),
    });
    expect(code, output).toBe(1);
    expect(output).toMatch(/FAIL  4\.3 +cancelInvoice\n.*\n\s+SOAP: cancelInvoice → 90 SYSTEM_ERROR/);
    expect(output).toContain('CERTIFICATION FAILED: 18 of 19 steps passed (failed: 4.3)');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ passed: false });
  }, 120_000);
});
