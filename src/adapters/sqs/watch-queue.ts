/**
 * The WatchQueue of the core on SQS: each watch message is one SendMessage with
 * DelaySeconds (0–900). Locally SQS_ENDPOINT points at the local stack's
 * stand-in (local/gateway/queue-endpoint.ts), which delivers it to the same handler.
 * The SQS client is loaded on the first send: the functions that only import
 * the wiring (every one) do not pay for it at cold start.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { config } from '../../config.js';
import type { WatchMessage, WatchQueue } from '../../core/ports.js';

let sdk: Promise<typeof import('@aws-sdk/client-sqs')> | undefined;
let client: SQSClient | undefined;
let clientEndpoint: string | undefined;

async function sqs(): Promise<{ client: SQSClient; SendMessageCommand: typeof import('@aws-sdk/client-sqs').SendMessageCommand }> {
  sdk ??= import('@aws-sdk/client-sqs');
  const module = await sdk;
  const endpoint = config.sqsEndpoint;
  // The SDK retries throttling and 5xx itself (3 attempts); a send is at most a few hundred ms.
  if (!client || clientEndpoint !== endpoint) {
    client = new module.SQSClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 3 });
    clientEndpoint = endpoint;
  }
  return { client, SendMessageCommand: module.SendMessageCommand };
}

export function sqsWatchQueue(queueUrl: string): WatchQueue {
  return {
    async send(message: WatchMessage, delaySeconds: number): Promise<void> {
      const { client: sqsClient, SendMessageCommand } = await sqs();
      await sqsClient.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: delaySeconds }));
    },
  };
}

/** Drop the client (tests that point it elsewhere). */
export function resetSqsClient(): void {
  client = undefined;
}
