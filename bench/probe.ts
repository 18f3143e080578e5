/**
 * What the handlers send, seen on the client side: every outgoing node:http
 * request (the AWS SDK's and node-soap's transport), seen where its body is
 * written (ClientRequest#end) and finished through Node's diagnostics_channel,
 * classified by where it goes (DynamoDB by X-Amz-Target,
 * SEQR SOAP by operation, @connections pushes, other AWS services), timed from
 * the request's start to its response's end, and tagged with the handler
 * invocation that made it (local/handlers.ts runs each in an async context while
 * the probe is on). Nothing in the handlers or adapters knows about it.
 */
import diagnostics from 'node:diagnostics_channel';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { currentInvocation, observeInvocations, type Invocation } from '../local/handlers.js';

export type Service = 'dynamodb' | 'seqr' | 'push' | 'connections' | 'eventbridge' | 'sqs' | 'scheduler' | 'lambda' | 'secretsmanager' | 'notification' | 'other';

export interface OutgoingRequest {
  service: Service;
  /** DynamoDB: GetItem, Query, …; SEQR: the SOAP operation; push: PostToConnection. */
  operation: string;
  table?: string;
  index?: string;
  /** DynamoDB reads: ConsistentRead as sent (GSI queries are never consistent). */
  consistent?: boolean;
  /** Bytes of the request body. */
  bytes: number;
  startedAt: number;
  endedAt?: number;
  statusCode?: number;
  invocation?: Invocation;
}

/** The loopback ports the local stack's parts listen on, to tell SOAP and pushes from the rest. */
export interface ProbeTargets {
  /** The SEQR simulator. */
  seqr: number;
  /** The WebSocket gateway's @connections API. */
  websocket: number;
  /** The HTTP gateway (SEQR's notification POSTs go there). */
  http: number;
}

const DYNAMODB_TARGET = /^DynamoDB_\d+\.(\w+)$/;

/** The port the request goes to, from its Host header (Node and the SDK both set it). */
function portOf(request: ClientRequest): number | undefined {
  const port = /:(\d+)$/.exec(String(request.getHeader('host') ?? ''))?.[1];
  return port === undefined ? undefined : Number(port);
}

function classify(request: ClientRequest, body: string, targets: ProbeTargets): Pick<OutgoingRequest, 'service' | 'operation' | 'table' | 'index' | 'consistent'> {
  const target = String(request.getHeader('x-amz-target') ?? '');
  const dynamo = DYNAMODB_TARGET.exec(target);
  if (dynamo) {
    let parsed: { TableName?: string; IndexName?: string; ConsistentRead?: boolean } = {};
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      // An unreadable body is still one request.
    }
    return {
      service: 'dynamodb',
      operation: dynamo[1]!,
      ...(parsed.TableName ? { table: parsed.TableName } : {}),
      ...(parsed.IndexName ? { index: parsed.IndexName } : {}),
      ...(/^(GetItem|Query|Scan|BatchGetItem)$/.test(dynamo[1]!) ? { consistent: parsed.ConsistentRead === true && !parsed.IndexName } : {}),
    };
  }
  if (target.startsWith('AWSEvents.')) return { service: 'eventbridge', operation: target.slice('AWSEvents.'.length) };
  if (target.startsWith('AmazonSQS.')) return { service: 'sqs', operation: target.slice('AmazonSQS.'.length) };
  if (target.startsWith('secretsmanager.')) return { service: 'secretsmanager', operation: target.slice('secretsmanager.'.length) };
  const where = portOf(request);
  const path = request.path;
  if (where === targets.websocket && path.includes('/@connections/')) {
    return request.method === 'POST' ? { service: 'push', operation: 'PostToConnection' } : { service: 'connections', operation: request.method === 'DELETE' ? 'DeleteConnection' : 'GetConnection' };
  }
  if (where === targets.seqr) {
    const operation = /<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?(\w+)/.exec(body)?.[1] ?? 'soap';
    return { service: 'seqr', operation };
  }
  if (where === targets.http && path.startsWith('/seqr/notifications/')) return { service: 'notification', operation: 'notify' };
  if (/\/2015-03-31\/functions\/.+\/invocations/.test(path)) return { service: 'lambda', operation: 'Invoke' };
  if (path.startsWith('/schedules/')) return { service: 'scheduler', operation: `${request.method} schedule` };
  return { service: 'other', operation: `${request.method} ${path.split('?')[0]}` };
}

/** One AWS SDK `send` (marshalling, signing, the request, retries, parsing): what a handler waits for. */
export interface SdkCall {
  client: 'dynamodb' | 'apigatewaymanagementapi';
  /** The command's class: GetCommand, UpdateCommand, PostToConnectionCommand, … */
  command: string;
  startedAt: number;
  endedAt?: number;
  failed?: string;
  invocation?: Invocation;
}

/** The SDK clients whose `send` the probe times (shared by the handlers: one module instance in this process). */
const TIMED_CLIENTS = [
  { client: 'dynamodb', prototype: DynamoDBDocumentClient.prototype },
  { client: 'dynamodb', prototype: DynamoDBClient.prototype },
  { client: 'apigatewaymanagementapi', prototype: ApiGatewayManagementApiClient.prototype },
] as const;

export interface Probe {
  /** Every request since the probe started (or since `clear`). */
  requests: OutgoingRequest[];
  /** Every SDK call since the probe started (or since `clear`). */
  sdkCalls: SdkCall[];
  /** Every finished handler invocation since the probe started (or since `clear`). */
  invocations: Invocation[];
  clear(): void;
  stop(): void;
}

/**
 * Starts recording. `context: true` also runs every handler in an async
 * context (so requests know their invocation); leave it off where the last
 * fraction of a millisecond matters.
 */
export function startProbe(targets: ProbeTargets, options: { context?: boolean } = {}): Probe {
  const probe: Probe = { requests: [], sdkCalls: [], invocations: [], clear, stop };
  const open = new WeakMap<ClientRequest, OutgoingRequest>();

  // Node publishes its request-start event after the body is written, so a request
  // is seen at end(); the SDK writes its body there, node-soap (axios) through write().
  const written = new WeakMap<ClientRequest, { chunks: Buffer[]; firstAt: number }>();
  const asBuffer = (chunk: unknown): Buffer | undefined =>
    typeof chunk === 'string' ? Buffer.from(chunk) : chunk instanceof Uint8Array ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : undefined;
  const originalWrite = http.ClientRequest.prototype.write;
  const originalEnd = http.ClientRequest.prototype.end;
  const patchedWrite = function (this: ClientRequest, ...args: unknown[]) {
    const chunk = asBuffer(args[0]);
    const entry = written.get(this) ?? { chunks: [], firstAt: performance.now() };
    if (chunk) entry.chunks.push(chunk);
    written.set(this, entry);
    return (originalWrite as (...a: unknown[]) => boolean).apply(this, args);
  };
  const patchedEnd = function (this: ClientRequest, ...args: unknown[]) {
    const last = typeof args[0] === 'function' ? undefined : asBuffer(args[0]);
    const entry = written.get(this);
    const body = Buffer.concat([...(entry?.chunks ?? []), ...(last ? [last] : [])]);
    written.delete(this);
    const invocation = currentInvocation();
    const record: OutgoingRequest = { ...classify(this, body.toString('utf8'), targets), bytes: body.length, startedAt: entry?.firstAt ?? performance.now(), ...(invocation ? { invocation } : {}) };
    open.set(this, record);
    probe.requests.push(record);
    return (originalEnd as (...a: unknown[]) => ClientRequest).apply(this, args);
  };
  http.ClientRequest.prototype.write = patchedWrite as typeof originalWrite;
  http.ClientRequest.prototype.end = patchedEnd as typeof originalEnd;
  const onFinish = (message: unknown) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    const record = open.get(request);
    if (!record) return;
    record.statusCode = response.statusCode;
    // Headers are in; the request is over when the body has been read.
    if (response.complete) record.endedAt = performance.now();
    else response.once('end', () => (record.endedAt = performance.now()));
  };
  diagnostics.subscribe('http.client.response.finish', onFinish);
  // DynamoDBDocumentClient runs the middleware itself (it does not call DynamoDBClient#send), so nothing counts twice.
  const restore = TIMED_CLIENTS.map(({ client, prototype }) => {
    const own = Object.getOwnPropertyDescriptor(prototype, 'send');
    const inherited = prototype.send as (...args: unknown[]) => Promise<unknown>;
    (prototype as { send: unknown }).send = function (this: unknown, ...args: unknown[]) {
      const invocation = currentInvocation();
      const call: SdkCall = { client, command: (args[0] as object)?.constructor?.name ?? 'unknown', startedAt: performance.now(), ...(invocation ? { invocation } : {}) };
      probe.sdkCalls.push(call);
      const result = inherited.apply(this, args);
      result?.then?.(
        () => (call.endedAt = performance.now()),
        (error: unknown) => {
          call.endedAt = performance.now();
          call.failed = (error as Error)?.name ?? 'error';
        },
      );
      return result;
    };
    return () => {
      if (own) Object.defineProperty(prototype, 'send', own);
      else delete (prototype as { send?: unknown }).send;
    };
  });
  const unobserve = observeInvocations({ context: options.context === true, onEnd: (invocation) => probe.invocations.push(invocation) });

  function clear() {
    probe.requests = [];
    probe.sdkCalls = [];
    probe.invocations = [];
  }
  function stop() {
    if (http.ClientRequest.prototype.end === (patchedEnd as unknown)) http.ClientRequest.prototype.end = originalEnd;
    if (http.ClientRequest.prototype.write === (patchedWrite as unknown)) http.ClientRequest.prototype.write = originalWrite;
    diagnostics.unsubscribe('http.client.response.finish', onFinish);
    for (const undo of restore) undo();
    unobserve();
  }
  return probe;
}

export function requestsOf(probe: Probe, invocation: Invocation): OutgoingRequest[] {
  return probe.requests.filter((r) => r.invocation === invocation);
}
