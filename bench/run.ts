/**
 * `npm run bench`: how fast a shopper's page learns that it was paid, measured
 * on the local stack in one run and printed side by side:
 *   - push: our WebSocket path (SEQR notification → getPaymentStatus → store → push);
 *   - poll 1 s: the old plugin's way, a browser asking the status URL once a second;
 * and how long SEQR waits for its confirming getPaymentStatus after a payment.
 * Bounded: a fixed number of payments, all traffic on loopback.
 */
import { setLogSink } from '../src/log.js';
import { coldStart } from './cold-start.js';
import { startLocalStack } from '../local/stack.js';
import { createInvoice, simulator, subscribe, sleep, type CreatedInvoice } from '../test/support/local-stack.js';

const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 20);

setLogSink(() => undefined);
const stack = await startLocalStack({ httpPort: 0, websocketPort: 0, simulatorPort: 0, dynamoDbPort: 0, simulator: { log: () => undefined } });

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function pay(invoice: CreatedInvoice): Promise<number> {
  const started = performance.now();
  await fetch(`${stack.simulator.baseUrl}/simulator/invoices/${invoice.invoiceReference}/pay?wait=false`, { method: 'POST' });
  return started;
}

async function viaPush(): Promise<number> {
  const invoice = await createInvoice(stack);
  const browser = await subscribe(invoice);
  await browser.next(() => true);
  const started = await pay(invoice);
  await browser.next((m) => m.status === 'PAID', 10_000);
  const elapsed = performance.now() - started;
  await browser.close();
  return elapsed;
}

async function viaPolling(): Promise<number> {
  const invoice = await createInvoice(stack);
  // The old plugin's page timer: a poll a second, at a phase the payment does not know.
  const phase = Math.random() * 1000;
  let started = 0;
  const payment = sleep(phase).then(async () => (started = await pay(invoice)));
  for (;;) {
    const status = (await (await fetch(invoice.statusUrl)).json()) as { status: string };
    if (status.status === 'PAID' && started) break;
    await sleep(1000);
  }
  await payment;
  return performance.now() - started;
}

async function confirmationDelay(): Promise<number[]> {
  const calls = (await simulator(stack, 'GET', '/simulator/calls?operation=getPaymentStatus')).body.calls as { invoiceReference?: string; at: string | number }[];
  const delays: number[] = [];
  const refs = new Set(calls.map((c) => c.invoiceReference).filter(Boolean));
  for (const ref of refs) {
    const invoice = (await simulator(stack, 'GET', `/simulator/invoices/${ref}`)).body as { paidAt?: string; confirmedAt?: string };
    if (!invoice.paidAt) continue;
    const paidAt = Date.parse(invoice.paidAt);
    const firstAfter = calls.filter((c) => c.invoiceReference === ref).map((c) => (typeof c.at === 'number' ? c.at : Date.parse(c.at))).filter((t) => t >= paidAt).sort((a, b) => a - b)[0];
    if (firstAfter !== undefined) delays.push(firstAfter - paidAt);
  }
  return delays;
}

const push: number[] = [];
const poll: number[] = [];
await viaPush(); // warm the handlers and the SOAP client once, as a warm Lambda would be
await simulator(stack, 'DELETE', '/simulator/calls');
for (let i = 0; i < PAYMENTS; i++) push.push(await viaPush());
const pushConfirm = await confirmationDelay();
await simulator(stack, 'DELETE', '/simulator/calls');
await Promise.all(Array.from({ length: PAYMENTS }, async () => poll.push(await viaPolling())));

const row = (name: string, values: number[]) =>
  `${name.padEnd(40)} ${String(values.length).padStart(4)} ${percentile(values, 50).toFixed(1).padStart(9)} ${percentile(values, 95).toFixed(1).padStart(9)} ${Math.max(...values).toFixed(1).padStart(9)}`;

process.stdout.write(
  [
    '',
    `Paid → the shopper's page knows (ms), ${PAYMENTS} payments each, local stack`,
    `${'path'.padEnd(40)} ${'n'.padStart(4)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ${'max'.padStart(9)}`,
    row('WebSocket push (this project)', push),
    row('poll once a second (old plugin)', poll),
    row('paid → SEQR confirmed (push path)', pushConfirm),
    '',
    `push is ${(percentile(poll, 50) / percentile(push, 50)).toFixed(1)}× faster at the median; SEQR's reversal limit is 20000 ms.`,
    '',
  ].join('\n'),
);

const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const cold = await coldStart({ runs: COLD_RUNS, wsdlUrl: `${stack.simulator.soapUrl}?wsdl` });
process.stdout.write(
  [
    `Cold start (ms), ${COLD_RUNS} fresh processes each`,
    `${'what'.padEnd(40)} ${'n'.padStart(4)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ${'max'.padStart(9)}`,
    ...cold.map((r) => row(r.name, r.samples)),
    '',
  ].join('\n'),
);
await stack.stop();
process.exit(0);
