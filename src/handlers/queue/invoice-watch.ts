/**
 * SQS (the watch queue, src/catalog.ts QUEUES.watch) → one round of each
 * message's invoice watch: ask SEQR about an open invoice (paced, once a second
 * at most per invoice across every path), cancel it at its payment timeout,
 * and send the next message unless it is final.
 *
 * Event: an SQS batch (`Records[].body` a watch message, JSON). Result: a
 * partial batch response: only a message whose round could not even send its
 * next message is named in `batchItemFailures`, so SQS delivers it again (and
 * after QUEUES.watch.maxReceiveCount deliveries, to the dead-letter queue).
 * A body that is not a watch message is logged and dropped.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { seqrFromConfig, warmUpSeqrClient } from '../../adapters/seqr/client.js';
import { sqsWatchQueue } from '../../adapters/sqs/watch-queue.js';
import { storeDeps, watchSettings } from '../../adapters/wiring.js';
import { config } from '../../config.js';
import { handleWatchMessage, parseWatchMessage } from '../../core/watch/watch.js';
import { log } from '../../log.js';

warmUpSeqrClient();
const deps = { ...storeDeps(log), seqr: seqrFromConfig };

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const logger = log.with({ function: 'invoiceWatch' });
  const queueUrl = config.watchQueueUrl;
  if (!queueUrl) throw new Error('configuration: WATCH_QUEUE_URL is not set');
  const watchDeps = { ...deps, log: logger, queue: sqsWatchQueue(queueUrl), settings: watchSettings() };
  const failed: string[] = [];
  await Promise.all(
    (event.Records ?? []).map(async (record) => {
      const message = parseWatchMessage(record.body);
      if (!message) {
        logger.error('not a watch message; dropped', { messageId: record.messageId, bytes: record.body?.length ?? 0 });
        return;
      }
      try {
        const outcome = await handleWatchMessage(watchDeps, message, logger);
        logger.info('invoice watch round', { invoiceReference: message.invoiceReference, ...outcomeFields(outcome) });
      } catch (error) {
        logger.error('invoice watch round failed; the queue delivers it again', { invoiceReference: message.invoiceReference, messageId: record.messageId, error });
        failed.push(record.messageId);
      }
    }),
  );
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
};

function outcomeFields(outcome: Awaited<ReturnType<typeof handleWatchMessage>>): Record<string, unknown> {
  const { outcome: name } = outcome;
  switch (outcome.outcome) {
    case 'rescheduled':
      return { outcome: name, status: outcome.status, checked: outcome.checked, delaySeconds: outcome.delaySeconds };
    case 'retrying':
      return { outcome: name, failures: outcome.failures, delaySeconds: outcome.delaySeconds };
    case 'final':
      return { outcome: name, status: outcome.status, checked: outcome.checked };
    case 'left':
      return { outcome: name, status: outcome.status };
    case 'gave-up':
      return { outcome: name, reason: outcome.reason };
    default:
      return { outcome: name };
  }
}
