/**
 * A local stand-in for the Lambda Invoke API, so that `@aws-sdk/client-lambda`
 * (InvokeCommand) reaches the catalog's handlers as it would reach Lambda:
 * `POST /2015-03-31/functions/{FunctionName}/invocations`.
 *
 * - `X-Amz-Invocation-Type: Event` (asynchronous): 202 at once, the handler
 *   runs on in this process with the same event; payloads up to 256 KB.
 * - `RequestResponse` (the default): the handler's result as JSON, 200; a thrown
 *   error is 200 with `X-Amz-Function-Error: Unhandled` and `{errorType, errorMessage}`.
 * - `DryRun`: 204.
 * The function is named by its catalog name (or an ARN or `name:qualifier` ending in it).
 * Asynchronous runs are not retried here (Lambda retries twice); a failure is written to stderr.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { FUNCTIONS, type FunctionName } from '../../src/catalog.js';
import { loadHandler } from '../handlers.js';
import { close, listen } from '../listen.js';

const MAX_ASYNC_PAYLOAD = 256 * 1024;
const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;

export interface RunningLambdaEndpoint {
  port: number;
  /** What the SDK client is given as `endpoint` (LAMBDA_ENDPOINT). */
  url: string;
  /** Asynchronous runs still going. */
  running(): number;
  /** Waits for the asynchronous runs (at most `graceMs`), then closes. */
  stop(graceMs?: number): Promise<void>;
}

function functionOf(name: string): FunctionName | undefined {
  // arn:aws:lambda:region:account:function:name[:qualifier], name:qualifier, or name
  const arn = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(name);
  const bare = arn ? arn[1]! : name.split(':')[0]!;
  return bare in FUNCTIONS ? (bare as FunctionName) : undefined;
}

function awsError(res: http.ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type }).end(JSON.stringify({ Type: 'User', message }));
}

/** A Lambda context whose clock runs down from the function's time-out. */
function contextFor(fn: FunctionName, requestId: string) {
  const deadline = Date.now() + FUNCTIONS[fn].timeoutSeconds * 1000;
  return { functionName: fn, awsRequestId: requestId, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
}

export async function startLambdaEndpoint(options: { port: number; host?: string }): Promise<RunningLambdaEndpoint> {
  const inFlight = new Set<Promise<unknown>>();
  const server = http.createServer(async (req, res) => {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec((req.url ?? '').split('?')[0]!);
    if (!match || req.method !== 'POST') return awsError(res, 404, 'UnknownOperationException', 'only Invoke is served here');
    const name = decodeURIComponent(match[1]!);
    const fn = functionOf(name);
    if (!fn) return awsError(res, 404, 'ResourceNotFoundException', `Function not found: ${name}`);
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      chunks.push(chunk as Buffer);
    }
    if (size > (type === 'Event' ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD)) {
      return awsError(res, 413, 'RequestTooLargeException', `payload larger than ${type === 'Event' ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD} bytes`);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let event: unknown;
    try {
      event = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return awsError(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
    }
    const requestId = randomUUID();
    const run = async () => (await loadHandler(fn))(event, contextFor(fn, requestId));
    if (type === 'DryRun') return void res.writeHead(204, { 'x-amzn-requestid': requestId }).end();
    if (type === 'Event') {
      res.writeHead(202, { 'x-amzn-requestid': requestId }).end();
      const job: Promise<unknown> = run()
        .catch((error: unknown) => process.stderr.write(`local lambda: ${fn} (async) failed: ${(error as Error)?.stack ?? String(error)}\n`))
        .finally(() => inFlight.delete(job));
      inFlight.add(job);
      return;
    }
    if (type !== 'RequestResponse') return awsError(res, 400, 'InvalidParameterValueException', `unknown invocation type ${type}`);
    try {
      const result = await run();
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': requestId }).end(JSON.stringify(result ?? null));
    } catch (error) {
      const body = { errorType: (error as Error)?.name ?? 'Error', errorMessage: (error as Error)?.message ?? String(error) };
      res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled', 'x-amzn-requestid': requestId }).end(JSON.stringify(body));
    }
  });
  const port = await listen(server, options.port, options.host);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    running: () => inFlight.size,
    stop: async (graceMs = 10_000) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      await close(server);
    },
  };
}
