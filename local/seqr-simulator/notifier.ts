/**
 * The POST SEQR makes to an invoice's notificationUrl when it is PAID. Failures
 * are logged and counted, never thrown: a shop that is down does not stop a
 * payment. Each POST uses its own connection (no keep-alive agent) so that a
 * test's receiving server can close at once.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { preciseNow } from './call-log.js';
import type { Log } from './log.js';
import type { InvoiceRecord, NotificationAttempt } from './state.js';

export interface NotifierOptions {
  body: 'empty' | 'form';
  timeoutMs: number;
  log: Log;
}

/** The notificationUrl as logged: its last path segment (the shop's notification token) masked. */
export function withoutToken(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.pathname = parsed.pathname.replace(/[^/]+$/, '[token]');
    parsed.search = parsed.search ? '?[query]' : '';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}

export class Notifier {
  private readonly stopping = new AbortController();

  constructor(private readonly options: NotifierOptions) {
    // Every POST in flight listens for the stop: hundreds at once are normal (npm run bench pays 500 together).
    setMaxListeners(0, this.stopping.signal);
  }

  /**
   * Sends one POST per entry of `delaysMs`, each after its delay, all at once
   * (duplicates race, as redelivered webhooks do; a delay is a late notification).
   */
  async notify(invoice: InvoiceRecord, delaysMs: readonly number[]): Promise<void> {
    const url = invoice.invoice.notificationUrl;
    if (!url || delaysMs.length === 0) return;
    const results = await Promise.all(
      delaysMs.map(async (delayMs) => {
        await this.wait(delayMs);
        const attempt: NotificationAttempt = { sentAtMs: preciseNow() };
        invoice.notifications.push(attempt);
        const result = await this.post(url, invoice.invoiceReference);
        attempt.answeredAtMs = preciseNow();
        if (result.ok) attempt.status = result.status;
        else {
          attempt.error = result.error;
          const status = /^HTTP (\d+)$/.exec(result.error)?.[1];
          if (status) attempt.status = Number(status);
        }
        return result;
      }),
    );
    for (const result of results) {
      if (result.ok) {
        invoice.notificationsSent += 1;
        this.options.log('info', 'notification sent', { invoiceReference: invoice.invoiceReference, url: withoutToken(url), status: result.status });
      } else {
        invoice.notificationFailures += 1;
        this.options.log('warn', 'notification failed', { invoiceReference: invoice.invoiceReference, url: withoutToken(url), error: result.error });
      }
    }
  }

  stop(): void {
    this.stopping.abort();
  }

  /** Waits before a late POST; a stop ends the wait at once (the POST then fails as stopped). */
  private wait(ms: number): Promise<void> {
    if (ms <= 0 || this.stopping.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stopping.signal.addEventListener('abort', done, { once: true });
    });
  }

  private post(url: string, invoiceReference: string): Promise<{ ok: true; status: number } | { ok: false; error: string }> {
    return new Promise((resolve) => {
      if (this.stopping.signal.aborted) return resolve({ ok: false, error: 'simulator stopped' });
      const body = this.options.body === 'form' ? new URLSearchParams({ invoiceReference }).toString() : '';
      const headers: Record<string, string | number> = { 'Content-Length': Buffer.byteLength(body), 'User-Agent': 'seqr-simulator' };
      if (this.options.body === 'form') headers['Content-Type'] = 'application/x-www-form-urlencoded';
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch (error) {
        return resolve({ ok: false, error: String(error) });
      }
      const client = parsed.protocol === 'https:' ? https : http;
      const request = client.request(parsed, {
        method: 'POST',
        headers,
        agent: false,
        timeout: this.options.timeoutMs,
        signal: this.stopping.signal,
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      request.on('error', (error) => resolve({ ok: false, error: error.message }));
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          // SEQR expects 200; any answer proves delivery, but a 4xx/5xx is worth a warning.
          resolve(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, error: `HTTP ${status}` });
        });
        response.on('error', (error) => resolve({ ok: false, error: error.message }));
      });
      request.end(body);
    });
  }
}
