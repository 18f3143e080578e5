/**
 * How a shop checks a SEQR webhook: the signature over "<t>.<raw body>" with
 * the webhook secret, compared in constant time, and a `t` no more than
 * 5 minutes away. Only Node's crypto; copy it into the shop's code as it is.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function verifyWebhook(rawBody: string, header: string | undefined, secret: string, nowSeconds = Date.now() / 1000): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!/^\d+$/.test(parts.t ?? '') || Math.abs(nowSeconds - t) > 300) return false; // stale (or from the future): refuse
  const expected = createHmac('sha256', secret).update(`${parts.t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
