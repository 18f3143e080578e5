/**
 * Starting another function of the stack asynchronously (Lambda InvocationType
 * Event): Lambda queues the event, answers 202 at once, and retries a failed
 * run twice. Locally LAMBDA_ENDPOINT points at the local stack's stand-in
 * (local/gateway/lambda-endpoint.ts), which runs the same handler.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { config } from '../../config.js';

let client: LambdaClient | undefined;

function lambdaClient(): LambdaClient {
  const endpoint = config.lambdaEndpoint;
  client ??= new LambdaClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 3 });
  return client;
}

/** Queues `payload` for the function; resolves once Lambda has accepted it. */
export async function invokeAsync(functionName: string, payload: unknown): Promise<void> {
  const { StatusCode } = await lambdaClient().send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
  );
  if (StatusCode !== 202) throw new Error(`Lambda did not accept the event for ${functionName} (status ${String(StatusCode)})`);
}

/** Drop the client (tests that point it elsewhere). */
export function resetLambdaClient(): void {
  client = undefined;
}
