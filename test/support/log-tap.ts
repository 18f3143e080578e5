/**
 * The log tap (a setup file of every test file): every line the product logs
 * (src/log.ts, whatever sink a test set), every line the SEQR simulator of a
 * test stack logs, and everything written to the worker's stdout and stderr
 * (the local gateways' own messages) is appended to a file of this run; every
 * secret the suites hold or are given (the shop key, SEQR passwords, each
 * subscribe and notification token and session id seen in an answer) to
 * another. test/support/log-audit.ts scans them all when the run ends.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, inject } from 'vitest';
import { addLogTap } from '../../src/log.js';
import { LOCAL_RESELLER, LOCAL_SHOP_API_KEY, LOCAL_TERMINAL } from '../../local/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    logTapDir: string;
  }
}

const dir = inject('logTapDir');
const id = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
export const linesFile = dir ? path.join(dir, `${id}.log`) : undefined;
const secretsFile = dir ? path.join(dir, `${id}.secrets`) : undefined;
let lines: string[] = [];
const secrets = new Set<string>();

/** Writes what is buffered (the audit test checks the tap reaches its file). */
export function flush(): void {
  if (!linesFile || !secretsFile) return;
  mkdirSync(dir, { recursive: true });
  if (lines.length) appendFileSync(linesFile, lines.join('\n') + '\n');
  lines = [];
  if (secrets.size) appendFileSync(secretsFile, [...secrets].join('\n') + '\n');
  secrets.clear();
}

/** One log line to audit. */
export function tapLine(line: string): void {
  lines.push(line);
  if (lines.length >= 5_000) flush();
}

/** A value that must never appear in a log line (at least 8 characters; shorter ones are not secrets here). */
export function tapSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

for (const value of [LOCAL_SHOP_API_KEY, LOCAL_TERMINAL.password, LOCAL_RESELLER.password, process.env.SHOP_API_KEY]) tapSecret(value);

addLogTap(tapLine);

// The gateways and the simulator's process-level messages go to stdout and stderr.
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let partial = '';
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = partial + (typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : '');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) if (part) tapLine(part);
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

/** Secrets in an answer's body or headers: subscribe tokens, notification tokens, `token=` in URLs, session cookies. */
const IN_ANSWERS = [
  /"subscribeToken"\s*:\s*"([^"]+)"/g,
  /[?&;]token=([A-Za-z0-9_%-]{16,})/g,
  /\/seqr\/notifications\/([A-Za-z0-9_-]{16,})/g,
  /"formToken"\s*:\s*"([^"]+)"|name="formToken" value="([^"]+)"/g,
];

export function tapSecretsIn(text: string): void {
  for (const pattern of IN_ANSWERS) {
    for (const match of text.matchAll(pattern)) {
      for (const group of match.slice(1)) if (group) tapSecret(safeDecode(group));
    }
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const originalFetch = globalThis.fetch;
globalThis.fetch = (async (...args: Parameters<typeof fetch>) => {
  const response = await originalFetch(...args);
  for (const cookie of response.headers.getSetCookie?.() ?? []) tapSecret(/^[^=]+=([^;]*)/.exec(cookie)?.[1]);
  const type = response.headers.get('content-type') ?? '';
  if (/json|html|javascript|text/.test(type)) {
    // Read from a copy, never holding up the test's own read of the body.
    response
      .clone()
      .text()
      .then(tapSecretsIn, () => undefined);
  }
  return response;
}) as typeof fetch;

afterAll(() => {
  flush();
});
