/**
 * The EventPublisher of the core on Amazon EventBridge: PutEvents on the
 * stack's bus. Locally EVENTBRIDGE_ENDPOINT points the very same client at
 * the local stack's bus endpoint (local/gateway/event-bus.ts).
 *
 * The SDK is imported on the first publish, so a function that never publishes
 * never loads it (and every bundle leaves it to the Lambda runtime).
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type PaymentEvent } from '../../contract/index.js';
import type { EventPublisher } from '../../core/ports.js';

/** PutEvents takes at most 10 entries a call. */
const ENTRIES_PER_CALL = 10;

export interface EventBridgePublisherOptions {
  /** The bus's name or ARN (EVENT_BUS_NAME), read on the first publish. */
  busName: () => string;
  /** Another endpoint than EventBridge's own (the local stack's). */
  endpoint?: string;
  /** How long one PutEvents call may take, its retries included. */
  timeoutMs: number;
  leaseMs: number;
}

/** The bus refused some entries (FailedEntryCount): they stay in the outbox. */
export class EventsNotPublishedError extends Error {
  override readonly name = 'EventsNotPublishedError';
  constructor(
    readonly failed: { version: number; errorCode?: string; errorMessage?: string }[],
  ) {
    super(`EventBridge refused ${failed.length} event(s): ${failed.map((f) => `${f.version} ${f.errorCode ?? ''}`.trim()).join(', ')}`);
  }
}

export function eventBridgePublisher(options: EventBridgePublisherOptions): EventPublisher {
  let client: Promise<{ client: EventBridgeClient; PutEventsCommand: typeof import('@aws-sdk/client-eventbridge').PutEventsCommand }> | undefined;
  const connect = () => {
    client ??= import('@aws-sdk/client-eventbridge').then(({ EventBridgeClient, PutEventsCommand }) => ({
      client: new EventBridgeClient({ ...(options.endpoint ? { endpoint: options.endpoint } : {}), maxAttempts: 3 }),
      PutEventsCommand,
    }));
    client.catch(() => (client = undefined));
    return client;
  };
  return {
    leaseMs: options.leaseMs,
    async publish(events: readonly PaymentEvent[]): Promise<void> {
      if (events.length === 0) return;
      const { client: eventBridge, PutEventsCommand } = await connect();
      const busName = options.busName();
      const failed: EventsNotPublishedError['failed'] = [];
      for (let i = 0; i < events.length; i += ENTRIES_PER_CALL) {
        const chunk = events.slice(i, i + ENTRIES_PER_CALL);
        const result = await eventBridge.send(
          new PutEventsCommand({
            Entries: chunk.map((event) => ({
              EventBusName: busName,
              Source: EVENT_SOURCE,
              DetailType: event.detailType,
              Detail: JSON.stringify(event.detail),
              Time: new Date(event.detail.occurredAt),
            })),
          }),
          { abortSignal: AbortSignal.timeout(options.timeoutMs) },
        );
        if ((result.FailedEntryCount ?? 0) > 0) {
          // Each result entry answers the request entry at the same place.
          chunk.forEach((event, index) => {
            const entry = result.Entries?.[index];
            if (!entry || entry.ErrorCode || !entry.EventId) {
              failed.push({ version: event.detail.version, ...(entry?.ErrorCode ? { errorCode: entry.ErrorCode } : {}), ...(entry?.ErrorMessage ? { errorMessage: entry.ErrorMessage } : {}) });
            }
          });
          if (failed.length === 0) failed.push({ version: chunk[0]!.detail.version, errorCode: 'FailedEntryCount' });
        }
      }
      if (failed.length > 0) throw new EventsNotPublishedError(failed);
    },
  };
}
