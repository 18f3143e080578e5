/**
 * The SEQR client as it is deployed: `src/adapters/seqr/client.ts` bundled with
 * the production esbuild options of infra/bundling.ts (minified ESM, the
 * createRequire banner, and the stubs of STUBBED_MODULES in place of xml-crypto,
 * formidable, whatwg-mimetype, axios-ntlm and form-data), loaded by a plain Node
 * process as Lambda loads it, and run against the simulator over real HTTP.
 * This is what proves each cut: if soap needed a stubbed module for plain
 * SOAP 1.1, an operation here would throw the stub's error.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_FILE, CUT_PACKAGES, NODE_OPTIONS, PROJECT_ROOT, STUBBED_MODULES, WSDL_FILE, WSDL_SOURCE, esbuildOptions } from '../../infra/bundling.js';
import { startSeqrSimulator, type RunningSimulator } from '../../local/seqr-simulator/index.js';

const run = promisify(execFile);

const TERMINAL = { terminalId: 'bundle-shop', password: 'bundle-terminal-secret' };
const RESELLER = { resellerId: 'bundle-reseller', userId: '9901', password: 'bundle-reseller-secret' };

/** Runs in the child process against the bundle; writes what it saw to RESULT_FILE. */
const SCENARIO = String.raw`
import { writeFileSync } from 'node:fs';
const { SeqrClient } = await import(process.env.BUNDLE_URL);
const { SOAP_URL, BASE_URL, RESULT_FILE } = process.env;
const TERMINAL = JSON.parse(process.env.TERMINAL);
const RESELLER = JSON.parse(process.env.RESELLER);
const out = {};
const client = (overrides = {}) => new SeqrClient({
  endpointUrl: SOAP_URL,
  terminalCredentials: async () => TERMINAL,
  resellerCredentials: async () => RESELLER,
  clientId: 'bundled-client test',
  clientReference: 'bundled 0.1.0',
  timeoutMs: 3000,
  statusRetry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 50 },
  reportRetry: { delayMs: 150, attempts: 20 },
  ...overrides,
});
const control = (method, path, body) => fetch(BASE_URL + path, {
  method, ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
}).then((r) => r.text());
const invoice = (overrides = {}) => ({
  title: 'Order 1',
  clientInvoiceId: '1',
  invoiceRows: [{ itemDescription: 'A', itemQuantity: '1', itemTotalAmount: { currency: 'SEK', value: '12.30' }, itemUnitPrice: { currency: 'SEK', value: '12.30' } }],
  totalAmount: { currency: 'SEK', value: '12.30' },
  notificationUrl: 'http://127.0.0.1:9/unused',
  ...overrides,
});
const failure = (e) => ({ name: e?.name, message: String(e?.message ?? e), resultCode: e?.resultCode, codeName: e?.codeName, failure: e?.failure });

const c = client();
const sent = await c.sendInvoice(invoice());
out.sendInvoice = sent;
out.issued = await c.getPaymentStatus(sent.invoiceReference);
await c.updateInvoice(sent.invoiceReference, invoice({ title: 'Order 1, updated' }));
await c.cancelInvoice(sent.invoiceReference);
out.canceled = await c.getPaymentStatus(sent.invoiceReference);

const paid = await c.sendInvoice(invoice());
await control('POST', '/simulator/invoices/' + paid.invoiceReference + '/pay');
out.paid = await c.getPaymentStatus(paid.invoiceReference);
await c.submitPaymentReceipt(out.paid.ersReference, { mimeType: 'text/html', receiptData: Buffer.from('<p>Thanks</p>').toString('base64'), receiptType: 'PAYMENT_RECEIPT' });
out.refund = await c.refundPayment(out.paid.ersReference, { title: 'Refund', totalAmount: { currency: 'SEK', value: '2.30' } });

const reserved = await c.sendInvoice(invoice({ paymentMode: 'RESERVATION_DESIRED' }));
await control('POST', '/simulator/invoices/' + reserved.invoiceReference + '/pay');
out.reserved = (await c.getPaymentStatus(reserved.invoiceReference)).status;
await c.commitReservation(reserved.invoiceReference);
out.committed = (await c.getPaymentStatus(reserved.invoiceReference)).status;

out.period = await c.markTransactionPeriod();
out.report = await c.executeReport('Reconciliation/Shop.xml', 'en', { transactionPeriodId: out.period.transactionPeriodId });

out.wrongPassword = await client({ terminalCredentials: async () => ({ ...TERMINAL, password: 'wrong-password' }) })
  .sendInvoice(invoice()).then(() => 'no error', failure);
await control('POST', '/simulator/faults', { kind: 'soapFault', operation: 'sendInvoice' });
out.soapFault = await c.sendInvoice(invoice()).then(() => 'no error', failure);
await control('POST', '/simulator/faults', { kind: 'latency', ms: 1500, operation: 'cancelInvoice' });
out.timeout = await client({ timeoutMs: 200 }).cancelInvoice(sent.invoiceReference).then(() => 'no error', failure);
writeFileSync(RESULT_FILE, JSON.stringify(out));
`;

/** Reaches each stub through soap's own API, in a bundle made the same way. */
const STUB_PROBE = String.raw`
import { HttpClient, WSSecurityCert } from 'soap';
import { writeFileSync } from 'node:fs';
const attempt = async (fn) => { try { await fn(); return 'no error'; } catch (e) { return String(e.message); } };
const out = {
  wsSecurityCert: await attempt(() => new WSSecurityCert('key', 'cert', '')),
  ntlm: await attempt(() => new HttpClient().request('http://127.0.0.1:9/', '<x/>', () => undefined, {}, { ntlm: true, username: 'u', password: 'p' })),
  formData: await attempt(() => { const FormData = require('form-data'); return new FormData(); }),
  mtom: await attempt(() => { const { MIMEType } = require('whatwg-mimetype'); return new MIMEType('multipart/related; boundary=x'); }),
  formidable: await attempt(async () => { const { MultipartParser } = await import('formidable'); return new MultipartParser(); }),
};
writeFileSync(process.env.RESULT_FILE, JSON.stringify(out));
`;

function packagesIn(metafile: Metafile): Set<string> {
  const names = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = input.replace(/\\/g, '/').match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (match) names.add(match[1]!);
  }
  return names;
}

describe('When the SEQR client is bundled with the production options and run in plain Node', () => {
  // Inside the project (cdk.out is git-ignored) so that the bundle resolves @aws-sdk/* from node_modules.
  mkdirSync(path.join(PROJECT_ROOT, 'cdk.out'), { recursive: true });
  const workdir = mkdtempSync(path.join(PROJECT_ROOT, 'cdk.out', 'test-bundled-client-'));
  let sim: RunningSimulator;
  let clientMetafile: Metafile;
  let probeMetafile: Metafile;

  async function bundle(entry: string, outdir: string): Promise<Metafile> {
    const result = await build(esbuildOptions({ entry }, outdir));
    copyFileSync(path.join(PROJECT_ROOT, WSDL_SOURCE), path.join(outdir, WSDL_FILE));
    return result.metafile;
  }

  async function runChild(script: string, name: string, env: Record<string, string>): Promise<Record<string, unknown>> {
    const scriptFile = path.join(workdir, `${name}.mjs`);
    const resultFile = path.join(workdir, `${name}.json`);
    writeFileSync(scriptFile, script);
    // Logs of the client go to stdout; the child's verdict goes to the result file. NODE_OPTIONS as deployed.
    try {
      await run(process.execPath, [scriptFile], {
        env: { PATH: process.env.PATH ?? '', NODE_OPTIONS, LOG_LEVEL: 'error', RESULT_FILE: resultFile, ...env },
        timeout: 60_000,
      });
    } catch (error) {
      // A crash prints a minified line of the bundle: keep the stack, not the bundle.
      const stderr = String((error as { stderr?: unknown }).stderr ?? error);
      throw new Error(`${name} failed in the bundled client:\n${stderr.split('\n').filter((line) => line.length < 400).join('\n').slice(-3000)}`);
    }
    return JSON.parse(readFileSync(resultFile, 'utf8')) as Record<string, unknown>;
  }

  beforeAll(async () => {
    sim = await startSeqrSimulator({ port: 0, terminals: [TERMINAL], reseller: RESELLER, confirmationWindowMs: 5_000, reportNotReadyMs: 300, log: () => undefined });
    clientMetafile = await bundle(path.join(PROJECT_ROOT, 'src/adapters/seqr/client.ts'), path.join(workdir, 'client'));
    const probeEntry = path.join(workdir, 'probe-entry.mjs');
    writeFileSync(probeEntry, STUB_PROBE);
    probeMetafile = await bundle(probeEntry, path.join(workdir, 'probe'));
  }, 60_000);

  afterAll(async () => {
    await sim?.stop();
    rmSync(workdir, { recursive: true, force: true });
  });

  it('should leave every cut package out of the bundle, soap itself in', () => {
    const packages = packagesIn(clientMetafile);
    expect(packages).toContain('soap');
    expect(packages).toContain('axios');
    for (const cut of CUT_PACKAGES) expect(packages, cut).not.toContain(cut);
    const stubs = Object.keys(clientMetafile.inputs).filter((input) => input.includes('infra/stubs/'));
    expect(stubs.length).toBeGreaterThanOrEqual(Object.keys(STUBBED_MODULES).length);
  });

  it('should run every merchant operation against the simulator over real HTTP', async () => {
    const out = await runChild(SCENARIO, 'scenario', {
      BUNDLE_URL: pathToFileURL(path.join(workdir, 'client', BUNDLE_FILE)).href,
      SOAP_URL: sim.soapUrl,
      BASE_URL: sim.baseUrl,
      TERMINAL: JSON.stringify(TERMINAL),
      RESELLER: JSON.stringify(RESELLER),
    });
    const sent = out.sendInvoice as { invoiceReference: string; invoiceQRCode: string };
    expect(sent.invoiceReference).toMatch(/^\d{13,17}$/);
    expect(sent.invoiceQRCode).toBe(`HTTP://SEQR.SE/R${sent.invoiceReference}`);
    expect(out.issued).toMatchObject({ status: 'ISSUED' });
    expect(out.canceled).toMatchObject({ status: 'CANCELED' });
    expect(out.paid).toMatchObject({ status: 'PAID', ersReference: expect.stringMatching(/^\d{25}$/) });
    expect((out.paid as { receipt?: { terminalId?: string } }).receipt?.terminalId).toBe(TERMINAL.terminalId);
    expect(out.refund).toMatchObject({ ersReference: expect.stringMatching(/^\d{25}$/) });
    expect(out.reserved).toBe('RESERVED');
    expect(out.committed).toBe('PAID');
    const { transactionPeriodId } = out.period as { transactionPeriodId: string };
    expect(transactionPeriodId).toMatch(/^\d{25}$/);
    expect(out.report).toMatchObject({ mimeType: 'text/html' });
    expect((out.report as { contentString: string }).contentString).toContain(transactionPeriodId);
    // Result codes and transport failures keep their types through the bundle.
    expect(out.wrongPassword).toMatchObject({ name: 'SeqrError', resultCode: 20, codeName: 'AUTHENTICATION_FAILED' });
    expect(out.soapFault).toMatchObject({ name: 'SeqrTransportError', failure: 'soap-fault' });
    expect(out.timeout).toMatchObject({ name: 'SeqrTransportError', failure: 'timeout' });
    expect(JSON.stringify(out)).not.toContain('is not in this Lambda bundle');
  }, 60_000);

  it('should fail loudly, naming the module and the feature, when a stubbed feature is used', async () => {
    expect(packagesIn(probeMetafile)).not.toContain('xml-crypto');
    const out = await runChild('await import(process.env.BUNDLE_URL);', 'probe', {
      BUNDLE_URL: pathToFileURL(path.join(workdir, 'probe', BUNDLE_FILE)).href,
    });
    expect(out.wsSecurityCert).toMatch(/^xml-crypto is not in this Lambda bundle: WS-Security/);
    expect(out.ntlm).toMatch(/^axios-ntlm is not in this Lambda bundle: NTLM/);
    expect(out.formData).toMatch(/^form-data is not in this Lambda bundle: multipart\/form-data/);
    expect(out.mtom).toMatch(/^whatwg-mimetype is not in this Lambda bundle: MTOM/);
    expect(out.formidable).toMatch(/^formidable is not in this Lambda bundle: MTOM/);
  }, 60_000);
});
