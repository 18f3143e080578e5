/**
 * A local stand-in for the EventBridge API, so that the real
 * `@aws-sdk/client-eventbridge` (PutEventsCommand) publishes to it as it would
 * to a bus: `POST /` with `X-Amz-Target: AWSEvents.PutEvents` (JSON 1.1).
 *
 * Each accepted entry becomes the event EventBridge would deliver (`version`,
 * `id`, `detail-type`, `source`, `account`, `time`, `region`, `resources`,
 * `detail`), is recorded, printed when asked, and, when a webhook URL is set,
 * handed to the SAME webhook handler that runs deployed (src/handlers/events/webhook.ts),
 * in the SQS event the webhook queue would give it. A delivery the handler
 * reports failed is retried, with a growing pause, as the queue would retry it.
 *
 * Faults for tests: `failFor(ms)` answers every PutEvents with HTTP 500 for a
 * while (the SDK's retries included); `refuseEntries(n)` answers 200 with the
 * next n entries failed (FailedEntryCount), as a throttled bus does.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { SQSEvent } from 'aws-lambda';
import type { PaymentEventEnvelope } from '../../src/contract/index.js';
import { loadHandler } from '../handlers.js';
import { close, listen } from '../listen.js';

export const LOCAL_ACCOUNT = '000000000000';

export interface EventBusOptions {
  port: number;
  host?: string;
  /** The bus's name: PutEvents naming another is refused. */
  busName: string;
  region?: string;
  /** One line per accepted event (npm start prints them). */
  print?: (line: string) => void;
  /** Where the webhook handler POSTs (SHOP_WEBHOOK_URL); no webhook when unset. */
  webhookUrl?: string;
  /** Pause before the first retry of a failed webhook delivery, doubled each time up to `webhookRetryMaxMs`. */
  webhookRetryMs?: number;
  webhookRetryMaxMs?: number;
}

export interface WebhookDelivery {
  eventId: string;
  attempt: number;
  delivered: boolean;
  at: number;
}

export interface RunningEventBus {
  port: number;
  /** What the SDK client is given as `endpoint` (EVENTBRIDGE_ENDPOINT). */
  url: string;
  busName: string;
  /** Every event the bus accepted, in order. */
  readonly events: PaymentEventEnvelope[];
  /** PutEvents requests answered, faults included. */
  readonly requests: { at: number; entries: number; answer: 'accepted' | 'failed' | 'refused' }[];
  /** Every webhook handler run, per event. */
  readonly deliveries: WebhookDelivery[];
  /** Answers every PutEvents with HTTP 500 for `ms` from now (0 ends it). */
  failFor(ms: number): void;
  /** Refuses the next `n` entries (200 with FailedEntryCount). */
  refuseEntries(n: number): void;
  /** Webhook deliveries still to be made or retried. */
  pendingDeliveries(): number;
  stop(): Promise<void>;
}

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number | string;
  Resources?: string[];
}

/** EventBridge writes `time` to the second. */
function eventTime(time: number | string | undefined): string {
  const at = time === undefined ? new Date() : typeof time === 'number' ? new Date(time * 1000) : new Date(time);
  return (Number.isNaN(at.getTime()) ? new Date() : at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function awsError(res: http.ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() }).end(JSON.stringify({ __type: type, message }));
}

export async function startEventBus(options: EventBusOptions): Promise<RunningEventBus> {
  const region = options.region ?? 'local';
  const busArn = `arn:aws:events:${region}:${LOCAL_ACCOUNT}:event-bus/${options.busName}`;
  const events: PaymentEventEnvelope[] = [];
  const requests: RunningEventBus['requests'] = [];
  const deliveries: WebhookDelivery[] = [];
  let failingUntil = 0;
  let refuse = 0;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let pending = 0;
  const retryMs = options.webhookRetryMs ?? 1_000;
  const retryMaxMs = options.webhookRetryMaxMs ?? 60_000;

  /** One webhook run for one event, as the queue hands a message to the function; retried on failure. */
  const deliver = (event: PaymentEventEnvelope, body: string, messageId: string, attempt: number): void => {
    if (stopped) return;
    const run = (async () => {
      const record = {
        messageId,
        receiptHandle: messageId,
        body,
        attributes: { ApproximateReceiveCount: String(attempt), SentTimestamp: String(Date.now()), SenderId: 'events.amazonaws.com', ApproximateFirstReceiveTimestamp: String(Date.now()) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT}:webhook`,
        awsRegion: region,
      };
      let delivered = false;
      try {
        const handler = await loadHandler('webhook');
        const result = (await handler({ Records: [record] } satisfies SQSEvent)) as { batchItemFailures?: { itemIdentifier: string }[] } | undefined;
        delivered = !(result?.batchItemFailures ?? []).some((failure) => failure.itemIdentifier === messageId);
      } catch (error) {
        process.stderr.write(`local bus: webhook handler failed: ${(error as Error)?.stack ?? String(error)}\n`);
      }
      deliveries.push({ eventId: event.id, attempt, delivered, at: Date.now() });
      // `pending` counts events whose delivery is not done: it drops once, when one is delivered.
      if (delivered || stopped) {
        pending--;
        return;
      }
      const pause = Math.min(retryMaxMs, retryMs * 2 ** (attempt - 1));
      const timer = setTimeout(() => {
        timers.delete(timer);
        deliver(event, body, messageId, attempt + 1);
      }, pause);
      timers.add(timer);
    })();
    running.add(run);
    void run.finally(() => running.delete(run));
  };

  const accept = (entry: PutEventsEntry): { EventId: string } | { ErrorCode: string; ErrorMessage: string } => {
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and Detail are required.' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object.' };
    if (refuse > 0) {
      refuse--;
      return { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded (refused by the local bus on request).' };
    }
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: LOCAL_ACCOUNT,
      time: eventTime(entry.Time),
      region,
      resources: entry.Resources ?? [],
      detail,
    } as PaymentEventEnvelope;
    events.push(event);
    const d = event.detail;
    options.print?.(`event  ${event['detail-type']}  ${d.invoiceReference} v${d.version} ${d.previousStatus ?? '-'} → ${d.status}${d.refundedTotal ? `  refunded ${d.refundedTotal.value} ${d.refundedTotal.currency}` : ''}`);
    if (options.webhookUrl) {
      pending++;
      // The body as EventBridge writes it into the queue: the event JSON.
      deliver(event, JSON.stringify(event), randomUUID(), 1);
    }
    return { EventId: event.id };
  };

  const server = http.createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || target !== 'AWSEvents.PutEvents') return awsError(res, 400, 'UnknownOperationException', `only PutEvents is served here, not ${target || req.method}`);
    let body: { Entries?: PutEventsEntry[] };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries?: PutEventsEntry[] };
    } catch {
      return awsError(res, 400, 'SerializationException', 'body is not JSON');
    }
    const entries = body.Entries ?? [];
    if (entries.length === 0 || entries.length > 10) return awsError(res, 400, 'ValidationException', 'Entries must hold 1 to 10 entries.');
    if (Date.now() < failingUntil) {
      requests.push({ at: Date.now(), entries: entries.length, answer: 'failed' });
      return awsError(res, 500, 'InternalException', 'the local bus is failing on request');
    }
    for (const entry of entries) {
      const bus = entry.EventBusName ?? 'default';
      if (bus !== options.busName && bus !== busArn) return awsError(res, 400, 'ResourceNotFoundException', `Event bus ${bus} does not exist.`);
    }
    const results = entries.map(accept);
    const failed = results.filter((result) => 'ErrorCode' in result).length;
    requests.push({ at: Date.now(), entries: entries.length, answer: failed > 0 ? 'refused' : 'accepted' });
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() }).end(JSON.stringify({ FailedEntryCount: failed, Entries: results }));
  });
  const port = await listen(server, options.port, options.host);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    busName: options.busName,
    events,
    requests,
    deliveries,
    failFor: (ms) => void (failingUntil = ms > 0 ? Date.now() + ms : 0),
    refuseEntries: (n) => void (refuse = n),
    pendingDeliveries: () => pending,
    stop: async () => {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...running]);
      await close(server);
    },
  };
}
