/**
 * GET /seqr/payment-view.js: the browser payment view, built by web/build.ts.
 *
 * The script is read once per process from PAYMENT_VIEW_ASSET (local stack,
 * tests) or from payment-view.js beside this module (the deployed bundle),
 * with the WebSocket URL (WEBSOCKET_URL) baked in, and served with an ETag.
 * No CORS headers: a script element loads cross-origin without them.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { config } from '../../config.js';
import { log } from '../../log.js';

/** Must match `DEFAULT_WEBSOCKET_URL` in web/payment-view/main.ts (quotes included). */
export const WEBSOCKET_URL_PLACEHOLDER = '"__SEQR_WEBSOCKET_URL__"';

interface Asset {
  body: string;
  etag: string;
}

let asset: Promise<Asset> | undefined;

async function loadAsset(): Promise<Asset> {
  const path = config.paymentViewAsset ?? new URL('./payment-view.js', import.meta.url);
  const source = await readFile(path, 'utf8');
  const websocketUrl = config.paymentViewWebsocketUrl;
  const body = source.replaceAll(WEBSOCKET_URL_PLACEHOLDER, JSON.stringify(websocketUrl));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
  return { body, etag };
}

function cachedAsset(): Promise<Asset> {
  if (!asset) {
    asset = loadAsset();
    asset.catch(() => (asset = undefined));
  }
  return asset;
}

/** Whether an If-None-Match header (a list, weak or `*`) matches the ETag. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  let current: Asset;
  try {
    current = await cachedAsset();
  } catch (error) {
    log.error('payment view script unreadable', { error: String(error) });
    return { statusCode: 500, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: 'payment view unavailable' };
  }
  const headers = {
    'content-type': 'application/javascript; charset=utf-8',
    'cache-control': 'public, max-age=300',
    etag: current.etag,
    'x-content-type-options': 'nosniff',
  };
  const ifNoneMatch = event.headers?.['if-none-match'] ?? event.headers?.['If-None-Match'];
  if (matches(ifNoneMatch, current.etag)) return { statusCode: 304, headers };
  return { statusCode: 200, headers, body: current.body };
}
