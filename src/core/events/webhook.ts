/**
 * The shop's webhook: every event POSTed to the shop's HTTPS endpoint, its
 * body the EventBridge event JSON exactly as received, signed so the shop can
 * tell it came from us and is fresh:
 *
 *   SEQR-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
 *
 * keyed with the webhook secret. A delivery that fails (no answer, or anything
 * but 2xx) is retried by the queue in front of the function (for more than 24 h).
 */
import { createHmac } from 'node:crypto';
import type { Logger } from '../../log.js';
import type { Clock } from '../ports.js';

/** The header's value for a body signed at `unixSeconds`. */
export function webhookSignature(secret: string, rawBody: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  const v1 = createHmac('sha256', secret).update(`${t}.${rawBody}`, 'utf8').digest('hex');
  return `t=${t},v1=${v1}`;
}

/** What one POST came to: delivered (2xx), or not, with why. */
export type WebhookOutcome = { delivered: true; status: number } | { delivered: false; status?: number; reason: string };

/** POSTs a signed body to the shop (src/adapters/http/webhook-poster.ts). */
export interface WebhookPoster {
  post(body: string, signature: string): Promise<WebhookOutcome>;
}

export interface WebhookDeps {
  poster: WebhookPoster;
  /** The signing key, read once per process. */
  secret: () => Promise<string>;
  clock: Clock;
  log: Logger;
}

/** One message of the queue: its id and the event JSON as received. */
export interface WebhookMessage {
  id: string;
  body: string;
  /** How many times the queue has handed it out, this one included. */
  attempt?: number;
}

function describe(body: string): Record<string, unknown> {
  try {
    const event = JSON.parse(body) as { id?: unknown; 'detail-type'?: unknown; detail?: { invoiceReference?: unknown; version?: unknown; status?: unknown } };
    return { eventId: event.id, detailType: event['detail-type'], invoiceReference: event.detail?.invoiceReference, version: event.detail?.version, status: event.detail?.status };
  } catch {
    return { unreadable: true };
  }
}

/** Delivers each message, one POST each, signed at the moment it is sent. Returns the ids not delivered (to be retried). */
export async function deliverWebhooks(deps: WebhookDeps, messages: readonly WebhookMessage[]): Promise<string[]> {
  const failed: string[] = [];
  const secret = await deps.secret();
  for (const message of messages) {
    const fields = { messageId: message.id, attempt: message.attempt, ...describe(message.body) };
    const started = deps.clock.now();
    let outcome: WebhookOutcome;
    try {
      outcome = await deps.poster.post(message.body, webhookSignature(secret, message.body, deps.clock.now() / 1000));
    } catch (error) {
      outcome = { delivered: false, reason: error instanceof Error ? error.message : String(error) };
    }
    const ms = deps.clock.now() - started;
    if (outcome.delivered) {
      deps.log.info('webhook delivered', { ...fields, httpStatus: outcome.status, ms });
    } else {
      deps.log.warn('webhook not delivered; the queue retries it', { ...fields, httpStatus: outcome.status, reason: outcome.reason, ms });
      failed.push(message.id);
    }
  }
  return failed;
}
