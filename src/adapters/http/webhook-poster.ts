/** POSTs signed event bodies to the shop's webhook endpoint (the core's WebhookPoster), with Node's fetch. */
import { WEBHOOK_SIGNATURE_HEADER } from '../../contract/index.js';
import type { WebhookOutcome, WebhookPoster } from '../../core/events/webhook.js';

export function fetchWebhookPoster(options: { url: () => string; timeoutMs: number }): WebhookPoster {
  return {
    async post(body, signature): Promise<WebhookOutcome> {
      try {
        const response = await fetch(options.url(), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'seqr-webshop-aws webhook', [WEBHOOK_SIGNATURE_HEADER]: signature },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        // The answer's body is not needed: read it away so the connection can be reused.
        await response.arrayBuffer().catch(() => undefined);
        return response.ok ? { delivered: true, status: response.status } : { delivered: false, status: response.status, reason: `HTTP ${response.status}` };
      } catch (error) {
        return { delivered: false, reason: (error as Error)?.name === 'TimeoutError' ? 'time-out' : String((error as Error)?.message ?? error) };
      }
    },
  };
}
