/**
 * Where the notification → push path spends its time, two ways:
 *   - per-request timings: for each payment, the notification invocation's
 *     steps in order (each AWS SDK call with its wire time inside, the SOAP
 *     request, the handler's own code between them) and the legs outside the
 *     handler (SEQR's POST reaching the handler, the push reaching the page);
 *   - a V8 CPU profile (node:inspector, what --cpu-prof writes) over the same
 *     payments, self time summed by package.
 * Run apart from the latency figures: the probe's async context and the
 * profiler both cost a little.
 */
import { Session } from 'node:inspector/promises';
import type { LocalStack } from '../local/stack.js';
import { createInvoice, notificationSentAt, pay, SocketPage } from './clients.js';
import type { OutgoingRequest, Probe, SdkCall } from './probe.js';
import { median, round, sum } from './stats.js';

export interface Step {
  label: string;
  /** Median ms of the step (an SDK call or SOAP request from start to end; for `code`, the gap). */
  ms: number;
  /** Median ms of the wire request inside an SDK call (its round trip). */
  wireMs?: number;
}

export interface NotificationProfile {
  payments: number;
  /** SEQR's POST sent → handler started. */
  deliveryMs: number;
  /** Handler started → first push request started. */
  handlerToPushMs: number;
  /** Push request started → the page's socket had the message. */
  pushToPageMs: number;
  /** Whole: SEQR's POST sent → page has PAID. */
  totalMs: number;
  handlerMs: number;
  steps: Step[];
  /** Self time by package over the profiled payments, share of the profile's busy time. */
  cpuByPackage: { name: string; share: number }[];
  cpuTopFunctions: { name: string; share: number }[];
  /** Busy (not idle) share of the profile: how much of the wall time one core was working. */
  busyShare: number;
}

interface TimedStep {
  label: string;
  start: number;
  end: number;
  wire?: number;
}

function stepsOf(sdkCalls: SdkCall[], requests: OutgoingRequest[], handlerStart: number, handlerEnd: number): TimedStep[] {
  const steps: TimedStep[] = [];
  for (const call of sdkCalls) {
    const end = call.endedAt ?? handlerEnd;
    const wire = requests.find((r) => r.startedAt >= call.startedAt && r.startedAt <= end && (r.service === 'dynamodb' || r.service === 'push'));
    const label = wire ? `${wire.service === 'dynamodb' ? 'DynamoDB' : '@connections'} ${wire.operation}${wire.table ? ` ${wire.table.replace(/^seqr-/, '')}` : ''}${wire.index ? `/${wire.index}` : ''}` : `${call.client} ${call.command}`;
    steps.push({ label, start: call.startedAt, end, ...(wire?.endedAt ? { wire: wire.endedAt - wire.startedAt } : {}) });
  }
  for (const request of requests.filter((r) => r.service === 'seqr')) {
    steps.push({ label: `SEQR ${request.operation} (SOAP)`, start: request.startedAt, end: request.endedAt ?? handlerEnd });
  }
  steps.sort((a, b) => a.start - b.start);
  // The handler's own code (and node-soap building its XML) fills the gaps.
  const withGaps: TimedStep[] = [];
  let cursor = handlerStart;
  for (const step of steps) {
    withGaps.push({ label: 'code', start: cursor, end: Math.max(cursor, step.start) });
    withGaps.push(step);
    cursor = Math.max(cursor, step.end);
  }
  withGaps.push({ label: 'code', start: cursor, end: Math.max(cursor, handlerEnd) });
  return withGaps;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

function bucketOf(url: string, functionName: string): string {
  if (!url) return functionName === '(idle)' ? '(idle)' : functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node: core';
  const local = /\/(src|local|bench|examples)\/([^/]+)/.exec(url);
  return local ? `${local[1]}/${local[2]}` : url;
}

function summarizeProfile(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let idle = 0;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const frame = nodes.get(id)!.callFrame;
    const bucket = bucketOf(frame.url, frame.functionName);
    if (bucket === '(idle)') {
      idle += dt;
      return;
    }
    byPackage.set(bucket, (byPackage.get(bucket) ?? 0) + dt);
    const fn = `${frame.functionName || '(anonymous)'} [${bucket}]`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
  });
  const busy = total - idle;
  const top = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, share: round(us / busy, 3) }));
  return { cpuByPackage: top(byPackage, 12), cpuTopFunctions: top(byFunction, 12), busyShare: round(busy / total, 2) };
}

/** Pays `payments` invoices one at a time with a subscribed page each, probe and profiler on. */
export async function profileNotificationPath(stack: LocalStack, probe: Probe, payments: number): Promise<NotificationProfile> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  const pages: SocketPage[] = [];
  let cpu: ReturnType<typeof summarizeProfile> | undefined;
  const samples: { delivery: number; toPush: number; pushToPage: number; total: number; handler: number; steps: TimedStep[] }[] = [];
  try {
    await session.post('Profiler.start');
    for (let i = 0; i < payments; i++) {
      const invoice = await createInvoice(stack);
      const page = await SocketPage.open(invoice);
      pages.push(page);
      probe.clear();
      await pay(stack, invoice.invoiceReference, true);
      const paid = await page.next((r) => r.message.status === 'PAID');
      const invocation = probe.invocations.find((inv) => inv.fn === 'seqrNotification');
      const sentAt = notificationSentAt(stack, invoice.invoiceReference);
      if (!invocation?.endedAt || sentAt === undefined) continue;
      const requests = probe.requests.filter((r) => r.invocation === invocation);
      const sdkCalls = probe.sdkCalls.filter((c) => c.invocation === invocation);
      const push = requests.find((r) => r.service === 'push');
      if (!push) continue;
      samples.push({
        delivery: invocation.startedAt - sentAt,
        toPush: push.startedAt - invocation.startedAt,
        pushToPage: paid.at - push.startedAt,
        total: paid.at - sentAt,
        handler: invocation.endedAt - invocation.startedAt,
        steps: stepsOf(sdkCalls, requests, invocation.startedAt, invocation.endedAt),
      });
    }
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await Promise.all(pages.map((page) => page.close()));
    cpu = summarizeProfile(profile as never);
  }
  // The steps come in the same order every time; take each position's median.
  const length = median(samples.map((s) => s.steps.length));
  const regular = samples.filter((s) => s.steps.length === length);
  const steps: Step[] = (regular[0]?.steps ?? []).map((step, i) => {
    const wires = regular.map((s) => s.steps[i]!.wire).filter((w): w is number => w !== undefined);
    return {
      label: step.label,
      ms: round(median(regular.map((s) => s.steps[i]!.end - s.steps[i]!.start)), 2),
      ...(wires.length ? { wireMs: round(median(wires), 2) } : {}),
    };
  });
  return {
    payments: samples.length,
    deliveryMs: round(median(samples.map((s) => s.delivery)), 2),
    handlerToPushMs: round(median(samples.map((s) => s.toPush)), 2),
    pushToPageMs: round(median(samples.map((s) => s.pushToPage)), 2),
    totalMs: round(median(samples.map((s) => s.total)), 2),
    handlerMs: round(median(samples.map((s) => s.handler)), 2),
    steps,
    ...cpu!,
  };
}

/** The share of the notification handler's time its steps of one kind take (for the report). */
export function shareOf(profile: NotificationProfile, match: (label: string) => boolean): number {
  return round(sum(profile.steps.filter((s) => match(s.label)).map((s) => s.ms)) / profile.handlerMs, 2);
}
