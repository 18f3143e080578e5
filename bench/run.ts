/**
 * `npm run bench` [-- --quick]: the figures behind the README's claims, on the
 * local stack (dynalite, the SEQR simulator, the local gateways calling the
 * very handlers in process, real sockets on loopback), in one bounded run:
 *   1. push vs once-a-second polling: paid → the page knows;
 *   2. confirm: SEQR's notification → our getPaymentStatus reaching it;
 *   3. storeOps: DynamoDB requests per catalog route and their share of its time;
 *   4. throughput: many checkouts with a socket each, all paid at once;
 *   5. functions: bundle bytes and cold start of every function;
 *   6. cost: dollars per 1,000 payments on AWS (bench/cost.ts);
 * then a profile of the notification → push path. Tables go to stdout; the
 * figures to bench/results/latest.json (the shape, nothing else) and
 * everything measured to bench/results/details.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_ENV, type FunctionName } from '../src/catalog.js';
import { SESSIONS_TABLE_ENV } from '../examples/sample-shop/catalog.js';
import { PROJECT_ROOT } from '../infra/bundling.js';
import { probeTargets, startBenchStack } from './clients.js';
import { ASSUMPTIONS, PRICES, costLines, connectionUsage, dollars, itemSize, oldPluginPaymentPlan, planUsage, pushPaymentPlan, type ItemSizes, type PathUse } from './cost.js';
import { configuredMemoryMiB, measureFunctions, type FunctionsReport } from './functions.js';
import { confirmationDelays, measurePolling, measurePush } from './latency.js';
import { measureStoreOps, type PathResult } from './paths.js';
import { startProbe } from './probe.js';
import { profileNotificationPath } from './profile.js';
import { percentile, round, summarize } from './stats.js';
import { table, usd } from './table.js';
import { measureThroughput } from './throughput.js';

const quick = process.argv.includes('--quick');
/** `--out <dir>`: where the JSON goes (the shape test writes to a temporary folder). */
const outIndex = process.argv.indexOf('--out');
const RESULTS_DIR = outIndex > 0 && process.argv[outIndex + 1] ? path.resolve(process.argv[outIndex + 1]!) : path.join(PROJECT_ROOT, 'bench', 'results');
const SIZES = quick
  ? { push: 12, polling: 12, pollConcurrency: 12, storeReps: 1, profile: 5, checkouts: 40, coldRuns: 1, experiments: [] as FunctionName[] }
  : { push: 110, polling: 110, pollConcurrency: 22, storeReps: 7, profile: 40, checkouts: 500, coldRuns: 5, experiments: ['wsSubscribe', 'seqrNotification'] as FunctionName[] };

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const progress = (what: string) => process.stderr.write(`[bench ${elapsed()}] ${what}\n`);
const out = (text: string) => process.stdout.write(text + '\n');

const machine = {
  nproc: os.availableParallelism(),
  cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  loadAverage: os.loadavg().map((l) => round(l, 2)),
};

progress(`local stack (${quick ? 'quick' : 'full'} run)`);
const stack = await startBenchStack();

// 1–2. Push, polling, confirm: no probe, nothing but the path itself.
progress(`push: ${SIZES.push} payments one after another`);
const push = await measurePush(stack, SIZES.push);
const confirm = confirmationDelays(
  stack,
  push.map((s) => s.invoiceReference),
);
progress(`polling: ${SIZES.polling} payments, ${SIZES.pollConcurrency} pages at a time`);
const polling = await measurePolling(stack, { payments: SIZES.polling, concurrency: SIZES.pollConcurrency });

// 3. Store requests per path, and the profile of the notification path.
progress('store requests per route');
const probe = startProbe(probeTargets(stack), { context: true });
const storeOps = await measureStoreOps(stack, probe, SIZES.storeReps);
progress(`profile: ${SIZES.profile} notification → push payments`);
const profile = await profileNotificationPath(stack, probe, SIZES.profile);
probe.stop();
const sizes = await largestItems(stack.dynamoDbEndpoint);

// 4. Throughput.
progress(`throughput: ${SIZES.checkouts} checkouts paid at once`);
// A page that has not heard PAID within SEQR's own 20 s window counts as lost.
const throughput = await measureThroughput(stack, SIZES.checkouts, { deadlineMs: 20_000 });

// 5. Functions, in fresh processes, with nothing else running.
progress('functions: bundles and cold starts');
const functions: FunctionsReport = await measureFunctions({ runs: SIZES.coldRuns, experiments: SIZES.experiments, env: process.env });
await stack.stop();

// 6. Cost per payment from what was counted.
const byKey = new Map(storeOps.results.map((r) => [r.key, r]));
const uses: Record<string, PathUse> = {};
for (const result of storeOps.results) uses[result.key] = useOf(result);
const timeToPay = ASSUMPTIONS.medianTimeToPaySeconds;
const pushUsage = planUsage(pushPaymentPlan(timeToPay), uses, sizes);
const withConnection = { ...pushUsage, websocketConnectionMinutes: pushUsage.websocketConnectionMinutes + connectionUsage(timeToPay).websocketConnectionMinutes };
const oldUsage = planUsage(oldPluginPaymentPlan(timeToPay), uses, sizes);
const perThousand = round(dollars(withConnection) * 1000, 4);
const oldPerThousand = round(dollars(oldUsage) * 1000, 4);

const latest = {
  push: summarize(push.map((s) => s.ms)),
  polling: summarize(polling),
  ratioP50: round(percentile(polling, 50) / percentile(push.map((s) => s.ms), 50)),
  confirm: { p50: round(percentile(confirm, 50)), p99: round(percentile(confirm, 99)), max: round(Math.max(...confirm)) },
  storeOps: Object.fromEntries(storeOps.results.map((r) => [r.key, { requests: r.requests, msShare: r.msShare }])),
  throughput: {
    checkouts: throughput.checkouts,
    perSecond: throughput.perSecond,
    lost: throughput.lost,
    duplicated: throughput.duplicated,
    reversed: throughput.reversed,
    errors5xx: throughput.errors5xx,
  },
  functions: functions.functions.map((f) => ({ name: f.name, bundleBytes: f.bundleBytes, coldStartMs: f.coldStartMs })),
  cost: { perThousandPayments: perThousand, oldPluginPerThousand: oldPerThousand, prices: PRICES },
};

mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(path.join(RESULTS_DIR, 'latest.json'), JSON.stringify(latest, null, 2) + '\n');

// ---- Tables ----
const ms = (v: number) => round(v);
out('');
out(`Machine: ${machine.nproc} cores (${machine.cpu}), Node ${machine.node}, ${machine.platform}; load average at start ${machine.loadAverage.join(' ')}${quick ? '; QUICK run (reduced samples)' : ''}`);
out('');
out(
  table(
    "Paid → the shopper's page knows (ms), from SEQR's notification POST",
    ['path', 'n', 'p50', 'p95', 'p99', 'max'],
    [
      ['WebSocket push (this project)', latest.push.n, latest.push.p50, latest.push.p95, latest.push.p99, ms(Math.max(...push.map((s) => s.ms)))],
      ['poll once a second (old plugin)', latest.polling.n, latest.polling.p50, latest.polling.p95, latest.polling.p99, ms(Math.max(...polling))],
    ],
  ),
);
out(`ratioP50 (polling p50 / push p50): ${latest.ratioP50}`);
out('');
out(
  table(
    "SEQR's notification POST → our getPaymentStatus reaching SEQR (ms); SEQR reverses after 20000",
    ['', 'n', 'p50', 'p99', 'max'],
    [['confirm (push payments)', confirm.length, latest.confirm.p50, latest.confirm.p99, latest.confirm.max]],
  ),
);
out(
  table(
    `DynamoDB requests per path (median of ${SIZES.storeReps}), counted on the client; msShare = share of the invocation in DynamoDB SDK calls`,
    ['path', 'what', 'requests', 'before push', 'msShare', 'invocation ms', 'requests made'],
    storeOps.results.map((r) => [
      r.key,
      r.what,
      r.requests,
      r.pushes > 0 ? r.beforePush : '-',
      r.msShare,
      r.ms,
      [...Object.entries(r.operations).map(([k, n]) => (n === 1 ? k : `${n}× ${k}`)), ...Object.entries(r.others).map(([k, n]) => (n === 1 ? k : `${n}× ${k}`))].join(', ') || '-',
    ]),
  ),
);
if (storeOps.missing.length) out(`NOT MEASURED (no driver in bench/paths.ts): ${storeOps.missing.join(', ')}\n`);
out(
  table(
    `Throughput: ${throughput.checkouts} checkouts with a socket each, all paid at once`,
    ['checkouts', 'completed/s', 'lost', 'duplicated', 'reversed', '5xx', 'all heard (ms)', 'max confirm (ms)', 'SEQR notification time-outs'],
    [[throughput.checkouts, throughput.perSecond, throughput.lost, throughput.duplicated, throughput.reversed, throughput.errors5xx, throughput.elapsedMs, throughput.maxConfirmMs, throughput.notificationFailures]],
  ),
);
out(
  table(
    `Functions: minified bundle and cold start (fresh node importing the bundle and running its init, spawn to exit, median of ${SIZES.coldRuns}, minus an empty node: ${functions.emptyProcessMs} ms)`,
    ['function', 'memory MiB', 'bundle bytes', 'cold start ms', 'CPU ms', 'its @aws-sdk/* alone ms'],
    functions.functions.map((f) => [f.name, f.memoryMiB, f.bundleBytes, f.coldStartMs, f.cpuMs, f.sdkPackages.length ? f.sdkImportMs : '-']),
  ),
);
const experiments = functions.functions.filter((f) => f.experiments);
if (experiments.length) {
  out(
    table(
      'Cold start experiments (ms above the empty node, same runs)',
      ['function', 'as deployed', 'no --enable-source-maps', 'SDK bundled in', 'both', 'SDK-bundled bytes'],
      [
        ...experiments.map((f) => [f.name, f.coldStartMs, f.experiments!.withoutSourceMapsMs, f.experiments!.sdkBundledMs, f.experiments!.sdkBundledWithoutSourceMapsMs, f.experiments!.sdkBundledBytes]),
        ['(a bundle of soap alone)', functions.soapAloneMs, '-', '-', '-', functions.soapAloneBytes],
      ],
    ),
  );
}
const lines = (usage: typeof oldUsage) => costLines(usage);
const ours = lines(withConnection);
const old = lines(oldUsage);
out(
  table(
    `Cost per 1,000 payments (USD), ${PRICES.label}; median time to pay assumed ${timeToPay} s`,
    ['line', 'push (this project)', 'poll 1/s (old plugin)'],
    [
      ...Object.keys(ours)
        .filter((k) => ours[k]! > 0 || old[k]! > 0)
        .map((k) => [k, usd(ours[k]! * 1000), usd(old[k]! * 1000)]),
      ['total', usd(perThousand), usd(oldPerThousand)],
    ],
  ),
);
out(
  `Counted per payment: push ${round(withConnection.lambdaRequests, 1)} Lambda invocations, ${round(withConnection.httpApiRequests, 1)} HTTP requests, ${round(withConnection.websocketMessages, 1)} WebSocket messages, ${round(withConnection.dynamoReadUnits, 1)} RRU + ${round(withConnection.dynamoWriteUnits, 1)} WRU; ` +
    `old plugin ${round(oldUsage.lambdaRequests, 1)} invocations, ${round(oldUsage.httpApiRequests, 1)} HTTP requests, ${round(oldUsage.dynamoReadUnits, 1)} RRU + ${round(oldUsage.dynamoWriteUnits, 1)} WRU. Largest items (bytes): ${JSON.stringify(sizes)}.`,
);
out('');
out(
  table(
    `Profile: notification → push, median of ${profile.payments} payments (ms)`,
    ['step', 'ms', 'of it on the wire'],
    [
      ["SEQR's POST → handler starts (HTTP + gateway)", profile.deliveryMs, '-'],
      ...profile.steps.map((s) => [s.label === 'code' ? '  handler code (SDK/soap work between calls)' : `  ${s.label}`, s.ms, s.wireMs ?? '-']),
      ['push request → page has it', profile.pushToPageMs, '-'],
      ['total (SEQR POST → page)', profile.totalMs, '-'],
    ],
  ),
);
out(
  table(
    `CPU profile over those payments: self time by package (${Math.round(profile.busyShare * 100)} % of wall time busy)`,
    ['package', 'share of busy time'],
    profile.cpuByPackage.map((p) => [p.name, `${(p.share * 100).toFixed(1)} %`]),
  ),
);

const notification = byKey.get('POST /seqr/notifications/{notificationToken}');
const targets: [string, string, boolean, string][] = [
  ['push p50 ≤ 10 ms', `${latest.push.p50} ms`, latest.push.p50 <= 10, latest.push.p50 <= 10 ? '' : `+${round(latest.push.p50 - 10)} ms`],
  ['push p99 ≤ 40 ms', `${latest.push.p99} ms`, latest.push.p99 <= 40, latest.push.p99 <= 40 ? '' : `+${round(latest.push.p99 - 40)} ms`],
  ['ratioP50 ≥ 40', String(latest.ratioP50), latest.ratioP50 >= 40, latest.ratioP50 >= 40 ? '' : `${round(latest.ratioP50 - 40)}`],
  ['confirm p99 ≤ 30 ms', `${latest.confirm.p99} ms`, latest.confirm.p99 <= 30, latest.confirm.p99 <= 30 ? '' : `+${round(latest.confirm.p99 - 30)} ms`],
  ['notification → push ≤ 3 store requests before the push', String(notification?.beforePush ?? '?'), (notification?.beforePush ?? 99) <= 3, (notification?.beforePush ?? 99) <= 3 ? '' : `+${(notification?.beforePush ?? 0) - 3}`],
  [
    `0 lost/duplicated/reversed/5xx at ${throughput.checkouts}`,
    `${throughput.lost}/${throughput.duplicated}/${throughput.reversed}/${throughput.errors5xx}`,
    throughput.lost + throughput.duplicated + throughput.reversed + throughput.errors5xx === 0,
    '',
  ],
  ...functions.functions.map(
    (f): [string, string, boolean, string] => [`cold start ${f.name} ≤ 60 ms`, `${f.coldStartMs} ms`, f.coldStartMs <= 60, f.coldStartMs <= 60 ? '' : `+${round(f.coldStartMs - 60)} ms`],
  ),
];
out(
  table(
    'Targets (issue 14)',
    ['target', 'measured', 'held', 'missed by'],
    targets.map(([t, m, held, by]) => [t, m, held ? 'yes' : 'NO', by]),
  ),
);

writeFileSync(
  path.join(RESULTS_DIR, 'details.json'),
  JSON.stringify(
    {
      machine,
      quick,
      sizes: SIZES,
      elapsedSeconds: round((performance.now() - started) / 1000),
      latest,
      pushSamples: push.map((s) => round(s.ms, 2)),
      pollingSamples: polling.map((s) => round(s, 1)),
      confirmSamples: confirm.map((s) => round(s, 2)),
      storeOps: storeOps.results.map(({ samples: _samples, ...rest }) => rest),
      storeOpsMissing: storeOps.missing,
      throughput,
      functions,
      profile,
      cost: {
        assumptions: ASSUMPTIONS,
        itemSizes: sizes,
        pushPlan: pushPaymentPlan(timeToPay),
        oldPluginPlan: oldPluginPaymentPlan(timeToPay),
        perPaymentUsage: { push: withConnection, oldPlugin: oldUsage },
        perThousandByLine: { push: mapValues(ours, (v) => v * 1000), oldPlugin: mapValues(old, (v) => v * 1000) },
        uses,
      },
      targets: targets.map(([target, measured, held, missedBy]) => ({ target, measured, held, missedBy })),
    },
    null,
    2,
  ) + '\n',
);
out(`Wrote ${path.relative(PROJECT_ROOT, path.join(RESULTS_DIR, 'latest.json'))} and details.json in ${elapsed()}.`);
process.exit(0);

function useOf(result: PathResult): PathUse {
  const via: PathUse['via'] = result.key.startsWith('$') ? 'websocket-connection' : /^(GET|POST) /.test(result.key) ? 'http' : 'websocket';
  // Each DynamoDB request of the median sample, by kind (the counts are the same every time for these paths).
  const sample = [...result.samples].sort((a, b) => a.ms - b.ms)[Math.floor(result.samples.length / 2)]!;
  const others = sample.other;
  return {
    via,
    durationMs: result.ms,
    memoryMiB: configuredMemoryMiB(result.fn),
    store: sample.dynamo.map((r) => ({
      operation: r.operation,
      table: schemaName(r.table),
      ...(r.index ? { index: r.index } : {}),
      ...(r.consistent !== undefined ? { consistent: r.consistent } : {}),
    })),
    pushes: result.pushes,
    logBytes: result.logBytes,
    eventBridgeEvents: others.filter((r) => r.service === 'eventbridge').length,
    schedulerInvocations: others.filter((r) => r.service === 'scheduler').length,
    sqsRequests: others.filter((r) => r.service === 'sqs').length,
  };
}

async function largestItems(endpoint: string): Promise<ItemSizes> {
  const base = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const client = DynamoDBDocumentClient.from(base);
  const out: ItemSizes = {};
  try {
    for (const [table, envName] of [['invoices', TABLE_ENV.invoices], ['connections', TABLE_ENV.connections], ['sessions', SESSIONS_TABLE_ENV]] as const) {
      const { Items = [] } = await client.send(new ScanCommand({ TableName: process.env[envName]! }));
      const largest = Math.max(0, ...Items.map((item) => itemSize(item)));
      if (largest > 0) out[table] = largest;
    }
  } finally {
    base.destroy();
  }
  return out;
}

/** The schema's name of a table (invoices, connections, …) from its deployed name. */
function schemaName(table: string | undefined): string {
  const found = Object.entries(TABLE_ENV).find(([, env]) => process.env[env] === table)?.[0];
  return found ?? table ?? 'unknown';
}

function mapValues(record: Record<string, number>, f: (v: number) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, round(f(v), 6)]));
}
