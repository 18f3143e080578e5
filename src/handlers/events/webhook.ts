/**
 * The shop's webhook (SQS → this function): every event of the bus, as
 * EventBridge wrote it into the queue, POSTed to SHOP_WEBHOOK_URL with the
 * SEQR-Webhook-Signature header. A message not delivered is reported as a
 * batch item failure, so the queue hands it out again after its visibility
 * time-out, until its receive count sends it to the dead-letter queue.
 * Locally the bus endpoint (local/gateway/event-bus.ts) calls this very handler.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { fetchWebhookPoster } from '../../adapters/http/webhook-poster.js';
import { config, shopWebhookSecret } from '../../config.js';
import { deliverWebhooks } from '../../core/events/webhook.js';
import { systemClock } from '../../core/ports.js';
import { log } from '../../log.js';

const poster = fetchWebhookPoster({ url: () => config.shopWebhookUrl, timeoutMs: config.shopWebhookTimeoutMs });

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const messages = event.Records.map((record) => ({
    id: record.messageId,
    body: record.body,
    attempt: Number(record.attributes?.ApproximateReceiveCount ?? 1),
  }));
  try {
    const failed = await deliverWebhooks({ poster, secret: shopWebhookSecret, clock: systemClock, log }, messages);
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  } catch (error) {
    // No secret, no URL: nothing was sent; every message goes back to the queue.
    log.error('webhook delivery failed', { error, messages: messages.length });
    return { batchItemFailures: messages.map((message) => ({ itemIdentifier: message.id })) };
  }
};
