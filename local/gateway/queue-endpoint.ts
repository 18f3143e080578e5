/**
 * A local stand-in for SQS, so that `@aws-sdk/client-sqs` reaches the catalog's
 * queue consumers as it would reach SQS and Lambda's SQS event source: the
 * AWS JSON 1.0 protocol the SDK speaks (`POST /`, `X-Amz-Target: AmazonSQS.<Op>`).
 *
 * - `SendMessage` (with `DelaySeconds` 0–900) and `SendMessageBatch` (≤ 10
 *   entries) keep the message, answer its MessageId and the MD5 of its body
 *   (the SDK checks it), and deliver it after the delay to the queue's consumer
 *   (the catalog function whose `consumes` names the queue) as an SQS event,
 *   up to `QUEUES[name].batchSize` records per invocation: one invocation gets
 *   every message due at that moment.
 * - `GetQueueUrl` answers the URL of a queue of the catalog.
 * - A partial batch response (`batchItemFailures`) or a thrown error makes the
 *   named (or all) messages visible again after `visibilityTimeoutMs`; after
 *   `maxReceiveCount` deliveries a message goes to the dead letters (written to stderr).
 * Queue URLs: `<url>/000000000000/<queue name>`; the queue is named by the last path segment.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import { FUNCTIONS, QUEUES, type FunctionName, type QueueName } from '../../src/catalog.js';
import { loadHandler } from '../handlers.js';
import { close, listen } from '../listen.js';

const ACCOUNT = '000000000000';
const MAX_BODY_BYTES = 256 * 1024;
const MAX_DELAY_SECONDS = 900;
const BATCH_TOLERANCE_MS = 20;

export interface QueueEndpointOptions {
  port: number;
  host?: string;
  /** How long a delivered message stays invisible before a failed one is delivered again; default 30 s (SQS: the queue's visibility timeout). */
  visibilityTimeoutMs?: number;
  region?: string;
}

export interface DeadLetter {
  queue: QueueName;
  messageId: string;
  body: string;
  receiveCount: number;
}

export interface RunningQueueEndpoint {
  port: number;
  /** What the SDK client is given as `endpoint` (SQS_ENDPOINT). */
  url: string;
  queueUrl(queue: QueueName): string;
  /** Messages waiting for their delay, or being handled. */
  pending(queue?: QueueName): number;
  /** Messages that failed `maxReceiveCount` times. */
  deadLetters(): DeadLetter[];
  /** Clears every timer, waits for the running invocations (at most `graceMs`), then closes. */
  stop(graceMs?: number): Promise<void>;
}

interface Message {
  queue: QueueName;
  messageId: string;
  body: string;
  md5: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  inFlight: boolean;
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

function consumerOf(queue: QueueName): FunctionName | undefined {
  return (Object.keys(FUNCTIONS) as FunctionName[]).find((name) => (FUNCTIONS[name] as { consumes?: QueueName }).consumes === queue);
}

class SqsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly queryCode: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startQueueEndpoint(options: QueueEndpointOptions): Promise<RunningQueueEndpoint> {
  const visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
  const region = options.region ?? 'local';
  const messages = new Map<string, Message>();
  const dead: DeadLetter[] = [];
  const running = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let stopped = false;
  let baseUrl = '';

  const queueOf = (queueUrl: unknown): QueueName => {
    const name = typeof queueUrl === 'string' ? queueUrl.replace(/\/+$/, '').split('/').pop() : undefined;
    if (!name || !(name in QUEUES)) throw new SqsError(400, 'com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', `The specified queue does not exist: ${String(queueUrl)}`);
    return name as QueueName;
  };

  const enqueue = (queue: QueueName, body: unknown, delaySeconds: unknown): { MessageId: string; MD5OfMessageBody: string } => {
    if (typeof body !== 'string' || body.length === 0) throw new SqsError(400, 'com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue', 'MessageBody must be a non-empty string');
    if (Buffer.byteLength(body) > MAX_BODY_BYTES) throw new SqsError(400, 'com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue', `MessageBody is longer than ${MAX_BODY_BYTES} bytes`);
    const delay = delaySeconds ?? 0;
    if (typeof delay !== 'number' || !Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_SECONDS) {
      throw new SqsError(400, 'com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue', `DelaySeconds must be a whole number from 0 to ${MAX_DELAY_SECONDS}`);
    }
    const now = Date.now();
    const message: Message = { queue, messageId: randomUUID(), body, md5: md5(body), sentAt: now, visibleAt: now + delay * 1000, receiveCount: 0, inFlight: false };
    messages.set(message.messageId, message);
    schedule();
    return { MessageId: message.messageId, MD5OfMessageBody: message.md5 };
  };

  /** One timer, for the earliest message to become visible. */
  function schedule(): void {
    if (stopped) return;
    let earliest = Infinity;
    for (const m of messages.values()) if (!m.inFlight && m.visibleAt < earliest) earliest = m.visibleAt;
    if (earliest === Infinity || earliest >= timerAt) return;
    clearTimeout(timer);
    timerAt = earliest;
    timer = setTimeout(deliver, Math.max(0, earliest - Date.now()));
  }

  function deliver(): void {
    timer = undefined;
    timerAt = Infinity;
    if (stopped) return;
    // Messages due within a few ms of each other go together, as one poll of SQS would return them.
    const now = Date.now() + BATCH_TOLERANCE_MS;
    const due = new Map<QueueName, Message[]>();
    for (const m of messages.values()) {
      if (m.inFlight || m.visibleAt > now) continue;
      due.set(m.queue, [...(due.get(m.queue) ?? []), m]);
    }
    for (const [queue, list] of due) {
      list.sort((a, b) => a.visibleAt - b.visibleAt);
      for (let i = 0; i < list.length; i += QUEUES[queue].batchSize) invoke(queue, list.slice(i, i + QUEUES[queue].batchSize));
    }
    schedule();
  }

  function invoke(queue: QueueName, batch: Message[]): void {
    const fn = consumerOf(queue);
    if (!fn) return void process.stderr.write(`local sqs: no function consumes ${queue}; ${batch.length} message(s) wait\n`);
    const now = Date.now();
    for (const m of batch) {
      m.inFlight = true;
      m.receiveCount += 1;
      m.firstReceivedAt ??= now;
    }
    const event = {
      Records: batch.map((m) => ({
        messageId: m.messageId,
        receiptHandle: `${m.messageId}#${m.receiveCount}`,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt),
          SenderId: ACCOUNT,
          ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
        },
        messageAttributes: {},
        md5OfBody: m.md5,
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${region}:${ACCOUNT}:${queue}`,
        awsRegion: region,
      })),
    };
    const requestId = randomUUID();
    const deadline = Date.now() + FUNCTIONS[fn].timeoutSeconds * 1000;
    const context = { functionName: fn, awsRequestId: requestId, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
    const job: Promise<void> = (async () => {
      let failed: Set<string>;
      try {
        const result = (await (await loadHandler(fn))(event, context)) as { batchItemFailures?: { itemIdentifier?: string }[] } | undefined;
        failed = new Set((result?.batchItemFailures ?? []).map((f) => String(f.itemIdentifier)));
      } catch (error) {
        process.stderr.write(`local sqs: ${fn} failed on a batch of ${batch.length}: ${(error as Error)?.stack ?? String(error)}\n`);
        failed = new Set(batch.map((m) => m.messageId));
      }
      for (const m of batch) {
        m.inFlight = false;
        if (!failed.has(m.messageId)) {
          messages.delete(m.messageId);
        } else if (m.receiveCount >= QUEUES[queue].maxReceiveCount) {
          messages.delete(m.messageId);
          dead.push({ queue, messageId: m.messageId, body: m.body, receiveCount: m.receiveCount });
          process.stderr.write(`local sqs: message ${m.messageId} on ${queue} failed ${m.receiveCount} times: dead-lettered\n`);
        } else {
          m.visibleAt = Date.now() + visibilityTimeoutMs;
        }
      }
      schedule();
    })().finally(() => running.delete(job));
    running.add(job);
  }

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    SendMessage: (input) => enqueue(queueOf(input.QueueUrl), input.MessageBody, input.DelaySeconds),
    SendMessageBatch: (input) => {
      const queue = queueOf(input.QueueUrl);
      const entries = Array.isArray(input.Entries) ? (input.Entries as Record<string, unknown>[]) : [];
      if (entries.length === 0) throw new SqsError(400, 'com.amazonaws.sqs#EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 'There should be at least one entry in the request.');
      if (entries.length > 10) throw new SqsError(400, 'com.amazonaws.sqs#TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 'At most 10 entries.');
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const entry of entries) {
        try {
          Successful.push({ Id: entry.Id, ...enqueue(queue, entry.MessageBody, entry.DelaySeconds) });
        } catch (error) {
          if (!(error instanceof SqsError)) throw error;
          Failed.push({ Id: entry.Id, SenderFault: true, Code: error.queryCode, Message: error.message });
        }
      }
      return { Successful, Failed };
    },
    GetQueueUrl: (input) => ({ QueueUrl: `${baseUrl}/${ACCOUNT}/${queueOf(input.QueueName)}` }),
  };

  const server = http.createServer(async (req, res) => {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), ...headers }).end(JSON.stringify(body));
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > 2 * MAX_BODY_BYTES * 10) throw new SqsError(413, 'com.amazonaws.sqs#BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong', 'request too large');
        chunks.push(chunk as Buffer);
      }
      if (req.method !== 'POST' || !operations[operation]) {
        throw new SqsError(400, 'com.amazonaws.sqs#UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', `only SendMessage, SendMessageBatch and GetQueueUrl are served here (got ${operation || 'none'})`);
      }
      let input: Record<string, unknown>;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        input = (text.trim() === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
      } catch {
        throw new SqsError(400, 'com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue', 'the body is not JSON');
      }
      reply(200, operations[operation]!(input));
    } catch (error) {
      if (error instanceof SqsError) {
        reply(error.status, { __type: error.type, message: error.message }, { 'x-amzn-query-error': `${error.queryCode};Sender` });
      } else {
        reply(500, { __type: 'com.amazonaws.sqs#InternalError', message: String((error as Error)?.message ?? error) });
      }
    }
  });
  const port = await listen(server, options.port, options.host);
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    port,
    url: baseUrl,
    queueUrl: (queue) => `${baseUrl}/${ACCOUNT}/${queue}`,
    pending: (queue) => [...messages.values()].filter((m) => queue === undefined || m.queue === queue).length,
    deadLetters: () => [...dead],
    stop: async (graceMs = 10_000) => {
      stopped = true;
      clearTimeout(timer);
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...running]), new Promise((resolve) => (grace = setTimeout(resolve, graceMs)))]);
      clearTimeout(grace);
      await close(server);
    },
  };
}
