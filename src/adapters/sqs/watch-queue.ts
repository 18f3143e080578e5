/**
 * The WatchQueue of the core on SQS: each watch message is one SendMessage with
 * DelaySeconds (0–900). Locally SQS_ENDPOINT points at the local stack's
 * stand-in (local/gateway/queue-endpoint.ts), which delivers it to the same handler.
 */
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { config } from '../../config.js';
import type { WatchMessage, WatchQueue } from '../../core/ports.js';

let client: SQSClient | undefined;

function sqsClient(): SQSClient {
  const endpoint = config.sqsEndpoint;
  // The SDK retries throttling and 5xx itself (3 attempts); a send is at most a few hundred ms.
  client ??= new SQSClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 3 });
  return client;
}

export function sqsWatchQueue(queueUrl: string): WatchQueue {
  return {
    async send(message: WatchMessage, delaySeconds: number): Promise<void> {
      await sqsClient().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: delaySeconds }));
    },
  };
}

/** Drop the client (tests that point it elsewhere). */
export function resetSqsClient(): void {
  client = undefined;
}
