/**
 * Bounded request bodies. A body over the limit is not kept: the rest is read
 * and dropped, so the client finishes sending and can read the refusal (closing
 * a socket with unread data makes the peer see a reset instead of the answer).
 */
import type { IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** The most a SOAP or control-API request body may hold, after gunzip too. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export type BodyRead = { ok: true; body: Buffer } | { ok: false; tooLarge: true };

export function readBoundedBody(req: IncomingMessage, limit = MAX_REQUEST_BYTES): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? { ok: false, tooLarge: true } : { ok: true, body: Buffer.concat(chunks) }));
    req.on('error', reject);
  });
}

export type Gunzipped = { ok: true; body: Buffer } | { ok: false; reason: 'tooLarge' | 'invalid' };

/** Gunzips at most `limit` bytes of output: a small gzip bomb cannot fill memory. */
export function gunzipBounded(body: Buffer, limit = MAX_REQUEST_BYTES): Gunzipped {
  try {
    return { ok: true, body: gunzipSync(body, { maxOutputLength: limit }) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { ok: false, reason: code === 'ERR_BUFFER_TOO_LARGE' ? 'tooLarge' : 'invalid' };
  }
}
