// Intent: the webhook's signature is what the README documents (and what the
// example receiver checks), each message is signed when sent, and a message
// the shop did not take is handed back for the queue to retry.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../../examples/webhook-receiver/verify.js';
import { deliverWebhooks, webhookSignature, type WebhookOutcome } from '../../../src/core/events/webhook.js';
import { ManualClock, memoryDeps } from '../../support/memory-ports.js';

const BODY = '{"version":"0","id":"e1","detail-type":"Invoice Status Changed","source":"seqr.webshop","detail":{"invoiceReference":"1234567890123","version":2,"status":"PAID"}}';

describe('the webhook signature', () => {
  it('should be t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">', () => {
    const expected = createHmac('sha256', 'k').update(`1700000000.${BODY}`).digest('hex');
    expect(webhookSignature('k', BODY, 1_700_000_000.9)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('should pass the example receiver’s check for 5 minutes and no longer', () => {
    const signature = webhookSignature('k', BODY, 1_700_000_000);
    expect(verifyWebhook(BODY, signature, 'k', 1_700_000_000 + 300)).toBe(true);
    expect(verifyWebhook(BODY, signature, 'k', 1_700_000_000 + 301)).toBe(false);
    expect(verifyWebhook(BODY + ' ', signature, 'k', 1_700_000_000)).toBe(false);
    expect(verifyWebhook(BODY, signature, 'other', 1_700_000_000)).toBe(false);
  });
});

describe('delivering webhooks', () => {
  function poster(outcomes: (WebhookOutcome | Error)[]) {
    const posts: { body: string; signature: string }[] = [];
    return {
      posts,
      post: async (body: string, signature: string): Promise<WebhookOutcome> => {
        posts.push({ body, signature });
        const next = outcomes.shift() ?? { delivered: true, status: 204 };
        if (next instanceof Error) throw next;
        return next;
      },
    };
  }

  it('should sign each message when it is sent and hand back those not taken', async () => {
    const deps = memoryDeps();
    const clock = new ManualClock(1_700_000_000_000);
    const shop = poster([{ delivered: true, status: 200 }, { delivered: false, status: 500, reason: 'HTTP 500' }, new Error('socket hang up')]);
    const failed = await deliverWebhooks({ poster: shop, secret: async () => 'k', clock, log: deps.log }, [
      { id: 'm1', body: BODY },
      { id: 'm2', body: BODY.replace('PAID', 'CANCELED') },
      { id: 'm3', body: 'not json' },
    ]);
    expect(failed).toEqual(['m2', 'm3']);
    expect(shop.posts.map((p) => p.body)).toEqual([BODY, BODY.replace('PAID', 'CANCELED'), 'not json']);
    for (const p of shop.posts) expect(verifyWebhook(p.body, p.signature, 'k', 1_700_000_000)).toBe(true);
    expect(deps.lines.filter((l) => l.message === 'webhook not delivered; the queue retries it').map((l) => l.messageId)).toEqual(['m2', 'm3']);
    expect(deps.lines.find((l) => l.messageId === 'm1')).toMatchObject({ message: 'webhook delivered', invoiceReference: '1234567890123', version: 2, status: 'PAID' });
    expect(JSON.stringify(deps.lines)).not.toContain('"k"');
  });
});
