/**
 * Bytes over a plain TCP socket, for what fetch and ws will not send: a path
 * exactly as written (`//?x`, `/invoices/%`), a request cut off mid-body, a
 * reset (RST) in the middle of a handshake.
 */
import net from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server wrote. */
  raw: string;
}

function parse(raw: string): RawAnswer {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = end < 0 ? '' : raw.slice(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body, raw };
}

function dechunk(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const lineEnd = text.indexOf('\r\n', at);
    if (lineEnd < 0) return out;
    const size = parseInt(text.slice(at, lineEnd), 16);
    if (!size) return out;
    out += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** Writes `request` as it is and reads until the server closes (send `Connection: close`), or `timeoutMs`. */
export function rawExchange(port: number, request: string | Buffer, timeoutMs = 5_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let raw = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(parse(raw));
    }, timeoutMs);
    socket.on('data', (chunk) => (raw += chunk.toString('latin1')));
    socket.on('error', (error) => {
      clearTimeout(timer);
      if (raw) resolve(parse(raw));
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parse(raw));
    });
    socket.write(request);
  });
}

/** A GET request line and headers, exactly as given. */
export function rawGet(path: string, headers: Record<string, string> = {}): string {
  return [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
}

export function rawPost(path: string, body: string, headers: Record<string, string> = {}): string {
  return [
    `POST ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    '',
    body,
  ].join('\r\n');
}

/** A WebSocket upgrade request for `path` (a valid key unless one is given). */
export function upgradeRequest(path: string, extra: Record<string, string> = {}): string {
  return rawGet(path, {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...extra,
  }).replace('Connection: close\r\n', '');
}

/**
 * Connects, writes `bytes`, waits `afterMs` (0: not at all) and resets the
 * connection (RST, not FIN): what a client that dies mid-exchange looks like.
 */
export function writeThenReset(port: number, bytes: string | Buffer, afterMs = 0): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(bytes, () => {
        const reset = () => {
          socket.resetAndDestroy();
          resolve();
        };
        if (afterMs > 0) setTimeout(reset, afterMs);
        else reset();
      });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve();
      else reject(error);
    });
  });
}
