/**
 * `npm run certify [-- --fast] [-- --out <file>]`: SEQR's webshop certification
 * (FACTS.md §9) run through this project's own HTTP routes and SEQR client.
 *
 * It starts the local stack on free ports (dynalite, the local gateways and the
 * local Lambda endpoint, all in this process) and points it at SEQR:
 * - by default at the local SEQR simulator, the shopper's steps (scan, pay)
 *   done through the simulator's control API;
 * - at SEQR's test environment when SEQR_CERTIFY_TERMINAL_ID and
 *   SEQR_CERTIFY_TERMINAL_PASSWORD are set (and SEQR_CERTIFY_RESELLER_* for the
 *   period); the shopper's steps are then printed for a person with the SEQR
 *   app ("scan this QR code"), and the run waits for them.
 *
 * Each step prints its SOAP operation(s), the result codes SEQR answered (read
 * from the SEQR client's own `seqr call` log lines) and the outcome. The run is
 * recorded as JSON (certify-results/latest.json unless --out says otherwise) and
 * the exit code is 0 only when every step passed. `--fast` (or `npm run certify
 * --fast`, which npm passes as npm_config_fast) shortens the 30 s wait of step 2,
 * against the simulator only.
 *
 * Against the simulator, SEQR_CERTIFY_SIMULATOR_FAULTS (a JSON list of the
 * simulator's fault rules, e.g. `[{"operation":"cancelInvoice","kind":"resultCode","code":90}]`)
 * shows what a refused step looks like. CERTIFY_RESULTS_FILE is --out by environment.
 *
 * Every SEQR call goes through our own routes (src/catalog.ts): the shop's
 * POST /invoices, /receipt, /cancel, /refunds (with an Idempotency-Key) and
 * /transaction-periods, and the browser's GET /invoices/{ref}/status; this
 * script never calls SEQR itself.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import qrcode from 'qrcode-generator';
import { startLocalStack, type LocalStack } from './stack.js';
import { setLogSink } from '../src/log.js';
import { resultCodeName } from '../src/contract/result-codes.js';
import { config } from '../src/config.js';
import { randomUUID } from 'node:crypto';

/** SEQR's public test endpoint (as the construct's default). */
const SEQR_TEST_ENDPOINT_URL = 'https://extdev.seqr.com/extclientproxy/service/v2';

const ROOT = path.resolve(import.meta.dirname, '..');

interface Options {
  fast: boolean;
  out: string;
  target: 'simulator' | 'seqr';
  endpoint?: string;
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const outIndex = argv.indexOf('--out');
  const out =
    outIndex >= 0 && argv[outIndex + 1]
      ? path.resolve(argv[outIndex + 1]!)
      : env.CERTIFY_RESULTS_FILE
        ? path.resolve(env.CERTIFY_RESULTS_FILE)
        : path.join(ROOT, 'certify-results', 'latest.json');
  const fast = argv.includes('--fast') || env.npm_config_fast === 'true';
  const seqr = Boolean(env.SEQR_CERTIFY_TERMINAL_ID && env.SEQR_CERTIFY_TERMINAL_PASSWORD);
  return { fast, out, target: seqr ? 'seqr' : 'simulator', ...(seqr ? { endpoint: env.SEQR_CERTIFY_ENDPOINT_URL || SEQR_TEST_ENDPOINT_URL } : {}) };
}

interface SoapCall {
  operation: string;
  resultCode: number;
  codeName: string;
  ms?: number;
}

interface StepRecord {
  id: string;
  title: string;
  operations: string[];
  via: string;
  calls: SoapCall[];
  outcome: string;
  passed: boolean;
  required: boolean;
  ms: number;
}

interface StepOptions {
  /** SOAP operations the step must see, each ending in result code 0. */
  operations?: string[];
  via: string;
  /** Count SEQR calls from this log position (default: the step's start). */
  callsFrom?: number;
  required?: boolean;
}

const lines: string[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function seqrCallsSince(index: number): SoapCall[] {
  return lines.slice(index).flatMap((line) => {
    try {
      const entry = JSON.parse(line) as { message?: string; operation?: string; resultCode?: number; ms?: number };
      if (entry.message !== 'seqr call' || typeof entry.operation !== 'string' || typeof entry.resultCode !== 'number') return [];
      return [{ operation: entry.operation, resultCode: entry.resultCode, codeName: resultCodeName(entry.resultCode), ...(entry.ms !== undefined ? { ms: entry.ms } : {}) }];
    } catch {
      return [];
    }
  });
}

function describeCalls(calls: SoapCall[]): string {
  if (calls.length === 0) return 'no SOAP call';
  return calls.map((call) => `${call.operation} → ${call.resultCode} ${call.codeName}`).join(', ');
}

class Certification {
  readonly steps: StepRecord[] = [];

  async step(id: string, title: string, options: StepOptions, work: () => Promise<string>): Promise<boolean> {
    const from = options.callsFrom ?? lines.length;
    const started = Date.now();
    let outcome: string;
    let passed = true;
    try {
      outcome = await work();
    } catch (error) {
      passed = false;
      outcome = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
    }
    const operations = options.operations ?? [];
    const calls = seqrCallsSince(from).filter((call) => operations.length === 0 || operations.includes(call.operation));
    for (const operation of operations) {
      const last = calls.filter((call) => call.operation === operation).pop();
      if (!last) {
        passed = false;
        outcome += ` (no ${operation} call was made)`;
      } else if (last.resultCode !== 0) {
        passed = false;
      }
    }
    const required = options.required ?? true;
    const record: StepRecord = { id, title, operations, via: options.via, calls, outcome, passed, required, ms: Date.now() - started };
    this.steps.push(record);
    const mark = passed ? 'PASS' : required ? 'FAIL' : 'INFO';
    process.stdout.write(`${mark}  ${id.padEnd(4)} ${title}\n      via ${options.via}\n      SOAP: ${describeCalls(calls)}\n      ${outcome}\n`);
    return passed;
  }

  get passed(): boolean {
    return this.steps.every((step) => step.passed || !step.required);
  }
}

/** The shop's side: our own HTTP API with the shop key. */
class Shop {
  private readonly lastStatusCheck = new Map<string, number>();
  constructor(private readonly stack: LocalStack) {}

  async request(method: 'GET' | 'POST', route: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const response = await fetch(`${this.stack.httpUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${this.stack.shopApiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  async createInvoice(order: number): Promise<Invoice> {
    const answer = await this.request('POST', '/invoices', {
      title: `Certification order ${order}`,
      currency: 'SEK',
      clientInvoiceId: `cert-${Date.now()}-${order}`,
      rows: [
        { description: 'Coffee', quantity: '2', unitPrice: '25.00', taxRate: '12' },
        { description: 'Bun', quantity: '1', unitPrice: '12.50', taxRate: '12' },
      ],
    });
    if (answer.status !== 201) throw new Error(`POST /invoices answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body as Invoice;
  }

  /** GET /invoices/{ref}/status: the route asks SEQR (getPaymentStatus) at most once a second per invoice. */
  async status(invoice: Invoice): Promise<string> {
    const last = this.lastStatusCheck.get(invoice.invoiceReference) ?? 0;
    const wait = last + 1_100 - Date.now();
    if (wait > 0) await sleep(wait);
    const response = await fetch(invoice.statusUrl);
    const body = (await response.json()) as { status?: string };
    // After the answer: the route took its once-a-second slot at some moment before it.
    this.lastStatusCheck.set(invoice.invoiceReference, Date.now());
    if (response.status !== 200 || !body.status) throw new Error(`status route answered ${response.status}: ${JSON.stringify(body)}`);
    return body.status;
  }

  async waitForStatus(invoice: Invoice, wanted: string, timeoutMs: number): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status(invoice);
      if (status === wanted) return status;
      if (Date.now() > until) throw new Error(`still ${status} after ${Math.round(timeoutMs / 1000)} s, expected ${wanted}`);
    }
  }

  async stored(invoice: Invoice): Promise<Record<string, any>> {
    return (await this.request('GET', `/invoices/${invoice.invoiceReference}`)).body;
  }
}

interface Invoice {
  invoiceReference: string;
  qrCode: string;
  appLink: string;
  status: string;
  total: { value: string; currency: string };
  statusUrl: string;
}

/** The shopper: the simulator's control API, or a person with the SEQR app. */
interface Shopper {
  scan(invoice: Invoice): Promise<string>;
  pay(invoice: Invoice): Promise<string>;
}

function simulatedShopper(stack: LocalStack): Shopper {
  const control = async (invoice: Invoice, action: 'scan' | 'pay') => {
    const response = await fetch(`${stack.simulator.baseUrl}/simulator/invoices/${invoice.invoiceReference}/${action}`, { method: 'POST' });
    if (response.status !== 200) throw new Error(`simulator ${action}: ${response.status} ${await response.text()}`);
  };
  return {
    async scan(invoice) {
      await control(invoice, 'scan');
      return 'scanned in the simulated app (simulator control API)';
    },
    async pay(invoice) {
      await control(invoice, 'scan');
      await control(invoice, 'pay');
      return 'scanned and paid in the simulated app (simulator control API)';
    },
  };
}

function printQr(invoice: Invoice): void {
  const qr = qrcode(0, 'M');
  qr.addData(invoice.qrCode);
  qr.make();
  const count = qr.getModuleCount();
  const out: string[] = [];
  // Two rows of modules per text line, with a quiet zone of 2.
  for (let y = -2; y < count + 2; y += 2) {
    let line = '';
    for (let x = -2; x < count + 2; x++) {
      const dark = (r: number) => r >= 0 && r < count && x >= 0 && x < count && qr.isDark(r, x);
      const top = dark(y);
      const bottom = dark(y + 1);
      line += top && bottom ? ' ' : top ? '▄' : bottom ? '▀' : '█';
    }
    out.push('      ' + line);
  }
  process.stdout.write(out.join('\n') + '\n');
}

async function waitForPerson(prompt: string): Promise<void> {
  if (process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    await new Promise<void>((resolve) => rl.question(`      ${prompt} Press Enter when done. `, () => resolve()));
    rl.close();
    return;
  }
  const ms = Number(process.env.SEQR_CERTIFY_SCAN_WAIT_MS ?? 30_000);
  process.stdout.write(`      ${prompt} (no terminal: waiting ${Math.round(ms / 1000)} s)\n`);
  await sleep(ms);
}

function personShopper(): Shopper {
  return {
    async scan(invoice) {
      process.stdout.write(`\n      >>> Scan this QR code with the SEQR app (test environment), but do NOT pay yet: ${invoice.qrCode}\n`);
      printQr(invoice);
      await waitForPerson('Scanned?');
      return 'scanned by a person in the SEQR app';
    },
    async pay(invoice) {
      process.stdout.write(`\n      >>> Scan this QR code with the SEQR app and PAY ${invoice.total.value} ${invoice.total.currency}: ${invoice.qrCode}\n`);
      printQr(invoice);
      process.stdout.write('      (waiting until SEQR says PAID, at most 5 minutes)\n');
      return 'paid by a person in the SEQR app';
    },
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), process.env);
  if (options.target === 'seqr' && options.fast) process.stdout.write('--fast shortens the wait against the simulator only; against SEQR the 30 s wait stands.\n');
  const fast = options.fast && options.target === 'simulator';
  const waitMs = fast ? 1_000 : 30_000;
  const payTimeoutMs = options.target === 'seqr' ? 300_000 : 10_000;
  const periodTimeoutMs = options.target === 'seqr' ? 120_000 : 30_000;

  // SEQR calls are logged at debug level with their result code: that is what each step reports.
  process.env.LOG_LEVEL = 'debug';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  setLogSink((line) => lines.push(line));

  const seqrEnv: Record<string, string> =
    options.target === 'seqr'
      ? {
          SEQR_ENDPOINT_URL: options.endpoint!,
          SEQR_TERMINAL_ID: process.env.SEQR_CERTIFY_TERMINAL_ID!,
          SEQR_TERMINAL_PASSWORD: process.env.SEQR_CERTIFY_TERMINAL_PASSWORD!,
          ...(process.env.SEQR_CERTIFY_RESELLER_ID
            ? {
                SEQR_RESELLER_ID: process.env.SEQR_CERTIFY_RESELLER_ID,
                SEQR_RESELLER_USER_ID: process.env.SEQR_CERTIFY_RESELLER_USER_ID ?? '9900',
                SEQR_RESELLER_PASSWORD: process.env.SEQR_CERTIFY_RESELLER_PASSWORD ?? '',
              }
            : { SEQR_RESELLER_ID: '' }),
        }
      : {};
  const stack = await startLocalStack({
    httpPort: Number(process.env.SEQR_CERTIFY_HTTP_PORT ?? 0),
    websocketPort: 0,
    simulatorPort: 0,
    dynamoDbPort: 0,
    lambdaPort: 0,
    ...(process.env.SEQR_CERTIFY_PUBLIC_BASE_URL ? { publicBaseUrl: process.env.SEQR_CERTIFY_PUBLIC_BASE_URL } : {}),
    // The simulator's report is not ready for a moment after the mark, as SEQR's: code 2 shows up in step 6.
    simulator: { reportNotReadyMs: fast ? 2_500 : 4_000, log: () => undefined },
    env: {
      ...seqrEnv,
      ...(fast ? { TRANSACTION_PERIOD_REPORT_PAUSE_MS: '500', TRANSACTION_PERIOD_REPORT_RETRY_MS: '500' } : {}),
      ...(process.env.SEQR_CLIENT_ID ? { SEQR_CLIENT_ID: process.env.SEQR_CLIENT_ID } : {}),
      ...(process.env.SEQR_CLIENT_REFERENCE ? { SEQR_CLIENT_REFERENCE: process.env.SEQR_CLIENT_REFERENCE } : {}),
    },
  });
  // Against the simulator, SEQR_CERTIFY_SIMULATOR_FAULTS (a JSON list of its fault rules) makes SEQR refuse on purpose.
  if (options.target === 'simulator' && process.env.SEQR_CERTIFY_SIMULATOR_FAULTS) {
    for (const rule of JSON.parse(process.env.SEQR_CERTIFY_SIMULATOR_FAULTS) as Record<string, unknown>[]) stack.simulator.addFault(rule);
  }
  const shop = new Shop(stack);
  const shopper = options.target === 'seqr' ? personShopper() : simulatedShopper(stack);
  const run = new Certification();
  const startedAt = new Date();

  process.stdout.write(
    [
      '',
      `SEQR webshop certification against ${options.target === 'seqr' ? `SEQR (${options.endpoint})` : `the local SEQR simulator (${stack.simulator.soapUrl})`}`,
      `  clientId         ${config.seqrClientId}   (SEQR_CLIENT_ID: your company name)`,
      `  clientReference  ${config.seqrClientReference}   (SEQR_CLIENT_REFERENCE: system name and version)`,
      `  local stack      ${stack.httpUrl}${fast ? '   (--fast: the 30 s wait is 1 s)' : ''}`,
      '',
    ].join('\n') + '\n',
  );

  try {
    // 1. sendInvoice with rows, clientReference and clientRequestTimeout.
    let a!: Invoice;
    await run.step('1', 'sendInvoice with rows (itemQuantity, itemTotalAmount), clientReference, clientRequestTimeout', { operations: ['sendInvoice'], via: 'POST /invoices' }, async () => {
      a = await shop.createInvoice(1);
      return `invoice ${a.invoiceReference}: ${a.status}, ${a.total.value} ${a.total.currency}, 2 rows, QR ${a.qrCode}`;
    });
    if (!a) throw new Error('no invoice: the remaining steps cannot run');

    // 2. Status before and after the scan; a second invoice; 30 s; the old invoice's status.
    await run.step('2.1', 'getPaymentStatus before the invoice is scanned', { operations: ['getPaymentStatus'], via: 'GET /invoices/{ref}/status' }, async () => {
      const status = await shop.status(a);
      if (status !== 'ISSUED') throw new Error(`status ${status}, expected ISSUED`);
      return `status ${status}`;
    });
    await run.step('2.2', 'the shopper scans the QR code', { via: options.target === 'seqr' ? 'a person with the SEQR app' : 'simulator control API' }, () => shopper.scan(a));
    await run.step('2.3', 'getPaymentStatus after the scan', { operations: ['getPaymentStatus'], via: 'GET /invoices/{ref}/status' }, async () => {
      const status = await shop.status(a);
      if (status !== 'ISSUED') throw new Error(`status ${status}, expected ISSUED (scanned, not paid)`);
      return `status ${status} (scanned, not paid)`;
    });
    let b!: Invoice;
    await run.step('2.4', 'sendInvoice again (a second invoice)', { operations: ['sendInvoice'], via: 'POST /invoices' }, async () => {
      b = await shop.createInvoice(2);
      return `invoice ${b.invoiceReference}: ${b.status}`;
    });
    await run.step('2.5', `wait ${waitMs / 1000} s`, { via: 'the clock' }, async () => {
      await sleep(waitMs);
      return fast ? 'waited 1 s (--fast; SEQR asks for 30 s)' : 'waited 30 s';
    });
    await run.step('2.6', 'getPaymentStatus with the old (first) invoice reference', { operations: ['getPaymentStatus'], via: 'GET /invoices/{ref}/status' }, async () => {
      const status = await shop.status(a);
      return `the old invoice ${a.invoiceReference} is ${status} (SEQR documents no particular status here)`;
    });

    // 3. submitPaymentReceipt after PAID.
    await run.step('3.1', 'the shopper pays the second invoice; getPaymentStatus says PAID', { operations: ['getPaymentStatus'], via: 'shopper, then SEQR’s notification / GET /invoices/{ref}/status' }, async () => {
      const how = await shopper.pay(b);
      await shop.waitForStatus(b, 'PAID', payTimeoutMs);
      const stored = await shop.stored(b);
      return `${how}; stored PAID, ersReference ${stored.ersReference}`;
    });
    await run.step('3.2', 'submitPaymentReceipt for the PAID invoice (Base64 HTML)', { operations: ['submitPaymentReceipt'], via: 'POST /invoices/{ref}/receipt' }, async () => {
      const html = `<html><body><h1>Receipt</h1><p>Order ${b.invoiceReference}: ${b.total.value} ${b.total.currency}</p></body></html>`;
      const answer = await shop.request('POST', `/invoices/${b.invoiceReference}/receipt`, {
        document: { mimeType: 'text/html', data: Buffer.from(html, 'utf8').toString('base64'), type: 'PAYMENT_RECEIPT' },
      });
      if (answer.status !== 200) throw new Error(`POST /invoices/{ref}/receipt answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return `receipt submitted for ersReference ${answer.body.ersReference}; stored ${JSON.stringify(answer.body.paymentReceipt ?? null)}`;
    });

    // 4. sendInvoice → getPaymentStatus → cancelInvoice.
    let c!: Invoice;
    await run.step('4.1', 'sendInvoice (to be cancelled)', { operations: ['sendInvoice'], via: 'POST /invoices' }, async () => {
      c = await shop.createInvoice(3);
      return `invoice ${c.invoiceReference}: ${c.status}`;
    });
    await run.step('4.2', 'getPaymentStatus', { operations: ['getPaymentStatus'], via: 'GET /invoices/{ref}/status' }, async () => `status ${await shop.status(c)}`);
    await run.step('4.3', 'cancelInvoice', { operations: ['cancelInvoice'], via: 'POST /invoices/{ref}/cancel' }, async () => {
      const answer = await shop.request('POST', `/invoices/${c.invoiceReference}/cancel`);
      if (answer.status !== 200 || answer.body.status !== 'CANCELED') throw new Error(`POST /invoices/{ref}/cancel answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      const status = await shop.status(c);
      if (status !== 'CANCELED') throw new Error(`cancelled, but the status route says ${status}`);
      return `200, stored ${answer.body.status}; the status route says ${status}`;
    });

    // 5. sendInvoice → getPaymentStatus → scan, pay → getPaymentStatus → refundPayment.
    let d!: Invoice;
    await run.step('5.1', 'sendInvoice (to be paid and refunded)', { operations: ['sendInvoice'], via: 'POST /invoices' }, async () => {
      d = await shop.createInvoice(4);
      return `invoice ${d.invoiceReference}: ${d.status}`;
    });
    await run.step('5.2', 'getPaymentStatus', { operations: ['getPaymentStatus'], via: 'GET /invoices/{ref}/status' }, async () => `status ${await shop.status(d)}`);
    await run.step('5.3', 'the shopper scans and pays; getPaymentStatus says PAID', { operations: ['getPaymentStatus'], via: 'shopper, then SEQR’s notification / GET /invoices/{ref}/status' }, async () => {
      const how = await shopper.pay(d);
      await shop.waitForStatus(d, 'PAID', payTimeoutMs);
      return `${how}; stored PAID`;
    });
    await run.step('5.4', 'refundPayment of the whole amount', { operations: ['refundPayment'], via: 'POST /invoices/{ref}/refunds (Idempotency-Key)' }, async () => {
      const answer = await shop.request(
        'POST',
        `/invoices/${d.invoiceReference}/refunds`,
        { amount: { value: d.total.value, currency: d.total.currency }, title: `Refund of ${d.invoiceReference}` },
        { 'idempotency-key': `certify-${randomUUID()}` },
      );
      if (answer.status !== 201) throw new Error(`POST /invoices/{ref}/refunds answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return `201: refunded ${answer.body.amount.value} ${answer.body.amount.currency} (refunded in all ${answer.body.refundedTotal.value}); the refund's ersReference ${answer.body.ersReference}`;
    });

    // 6. markTransactionPeriod when closing the shop, then executeReport.
    const periodFrom = lines.length;
    let slot = '';
    await run.step('6.1', 'markTransactionPeriod (closing the shop)', { operations: ['markTransactionPeriod'], via: 'POST /transaction-periods' }, async () => {
      const answer = await shop.request('POST', '/transaction-periods');
      if (answer.status !== 202) throw new Error(`POST /transaction-periods answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      slot = answer.body.slot;
      const until = Date.now() + periodTimeoutMs;
      for (;;) {
        const period = await shop.request('GET', `/transaction-periods/${slot}`);
        if (period.status === 200 && period.body.transactionPeriodId) return `202 {slot: ${slot}}; transactionPeriodId ${period.body.transactionPeriodId}`;
        if (Date.now() > until) throw new Error(`period ${slot} not marked after ${periodTimeoutMs / 1000} s`);
        await sleep(100);
      }
    });
    let period: Record<string, any> | undefined;
    await run.step('6.2', 'executeReport for the period (Shop.xml, STD_RECON_003.xml), retried on 2 REPORT_NOT_READY', { operations: ['executeReport'], via: 'the transaction-period function (GET /transaction-periods/{id})', callsFrom: periodFrom }, async () => {
      if (!slot) throw new Error('no period was marked');
      const until = Date.now() + periodTimeoutMs;
      for (;;) {
        const answer = await shop.request('GET', `/transaction-periods/${slot}`);
        const reports = Object.entries((answer.body?.reports ?? {}) as Record<string, { state: string; notReadyAnswers: number; rowCount?: number }>);
        if (reports.length > 0 && reports.every(([, r]) => r.state === 'ready')) {
          period = answer.body;
          return reports.map(([id, r]) => `${id}: ready after ${r.notReadyAnswers} not-ready answer(s), ${r.rowCount ?? 0} row(s)`).join('; ');
        }
        if (Date.now() > until) throw new Error(`reports still pending after ${periodTimeoutMs / 1000} s: ${JSON.stringify(answer.body?.reports)}`);
        await sleep(250);
      }
    });
    await run.step(
      '6.3',
      'reconciliation of STD_RECON_003 with our store',
      { via: 'GET /transaction-periods/{id}', required: options.target === 'simulator' },
      async () => {
        const until = Date.now() + periodTimeoutMs;
        while (!period?.reconciliation && slot && Date.now() < until) {
          await sleep(100);
          period = (await shop.request('GET', `/transaction-periods/${slot}`)).body;
        }
        const summary = period?.reconciliation;
        if (!summary) throw new Error('no reconciliation stored');
        const text = `${summary.state}: ${summary.matched} payment(s) and ${summary.matchedRefunds ?? 0} of ${summary.storedRefunds ?? 0} refund(s) matched, ${summary.differences} difference(s) ${JSON.stringify(summary.byKind)}`;
        // On SEQR's shared test terminal other testers' sales show up: informative there, required against the simulator.
        if (summary.state !== 'done' || summary.differences !== 0) throw new Error(text);
        return text;
      },
    );
  } catch (error) {
    process.stdout.write(`\nThe run stopped: ${error instanceof Error ? error.message : String(error)}\n`);
    run.steps.push({ id: 'abort', title: 'the run stopped', operations: [], via: '', calls: [], outcome: String(error), passed: false, required: true, ms: 0 });
  } finally {
    await stack.stop();
  }

  const record = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    target: options.target,
    endpoint: options.target === 'seqr' ? options.endpoint : 'local simulator',
    fast,
    clientId: config.seqrClientId,
    clientReference: config.seqrClientReference,
    passed: run.passed,
    steps: run.steps,
  };
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, JSON.stringify(record, null, 2) + '\n');
  writeFileSync(options.out.replace(/\.json$/, '') + '.log', lines.join('\n') + '\n');
  const failed = run.steps.filter((step) => !step.passed && step.required);
  process.stdout.write(
    `\n${run.passed ? 'CERTIFICATION PASSED' : 'CERTIFICATION FAILED'}: ${run.steps.filter((s) => s.passed).length} of ${run.steps.length} steps passed` +
      (failed.length ? ` (failed: ${failed.map((s) => s.id).join(', ')})` : '') +
      `\nRecord: ${path.relative(process.cwd(), options.out) || options.out}\n`,
  );
  return run.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`certify: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
