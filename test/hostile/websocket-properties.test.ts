/**
 * Property-based hostile input over the WebSocket API: HOSTILE.runs $connect
 * handshakes with hostile query and headers, and HOSTILE.runs frames on an
 * accepted socket, from a fixed seed. A refused handshake is a 4xx (never a
 * 5xx) that wrote nothing and called SEQR never; a frame that is not a
 * subscribe is answered with an error frame of the documented shape
 * (`{"type":"error","error":{code,message,field?}}`), writes nothing, calls
 * SEQR never, and the socket stays open and still serves a subscribe.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { observeInvocations } from '../../local/handlers.js';
import { createInvoice, openSocket, startTestStack, type CreatedInvoice, type LocalStack } from '../support/local-stack.js';
import { countStoreWrites, errorShapeProblem, HOSTILE, writes } from './properties.js';

let stack: LocalStack & { logs: string[] };
let invoice: CreatedInvoice;
const figures: string[] = [];
const started = Date.now();

beforeAll(async () => {
  stack = await startTestStack();
  countStoreWrites();
  invoice = await createInvoice(stack);
});
afterAll(async () => {
  process.stdout.write(`\nHostile input, WebSocket: ${HOSTILE.runs} cases each, seed ${HOSTILE.seed}, ${((Date.now() - started) / 1000).toFixed(1)} s\n${figures.join('\n')}\n`);
  await stack?.stop();
});

const junk = fc.string({ unit: 'binary', maxLength: 60 });
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

/** Resolves when `count` more invocations of the function have ended (the gateway runs a socket's messages one by one). */
function invocationsEnded(fn: string, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const stop = observeInvocations({
      onEnd: (invocation) => {
        if (invocation.fn === fn && ++seen >= count) {
          stop();
          resolve();
        }
      },
    });
  });
}

describe('When $connect gets hostile handshakes', () => {
  it('should refuse every one that lacks the invoice’s own token with a 4xx, writing nothing and calling SEQR never', async () => {
    const statuses: Record<string, number> = {};
    const value = fc.oneof(junk, fc.constant('REAL_REF'), fc.constant('REAL_TOKEN'), fc.stringMatching(/^\d{1,40}$/), fc.constant('7'.repeat(5_000)), fc.constant(''));
    await fc.assert(
      fc.asyncProperty(
        fc.record({ invoice: fc.option(value, { nil: undefined }), token: fc.option(value, { nil: undefined }), extra: fc.array(fc.tuple(junk, junk), { maxLength: 3 }), origin: fc.option(headerText, { nil: undefined }), protocol: fc.option(fc.stringMatching(/^[a-z]{1,10}$/), { nil: undefined }) }),
        async (c) => {
          const place = (v: string) => v.replaceAll('REAL_REF', invoice.invoiceReference).replaceAll('REAL_TOKEN', invoice.subscribeToken);
          const params = new URLSearchParams();
          if (c.invoice !== undefined) params.set('invoice', place(c.invoice));
          if (c.token !== undefined) params.set('token', place(c.token));
          for (const [k, v] of c.extra) params.append(k, v);
          const url = `${stack.websocketUrl}/?${params.toString()}`;
          const granted = params.get('invoice') === invoice.invoiceReference && params.get('token') === invoice.subscribeToken;
          const writesBefore = writes.count;
          const callsBefore = stack.simulator.calls().length;
          const outcome = await new Promise<{ status: number }>((resolve) => {
            const socket = new WebSocket(url, c.protocol ? [c.protocol] : [], { headers: c.origin ? { origin: c.origin } : {} });
            socket.once('open', () => {
              // Its $disconnect (a write) is waited for, so it is not counted against the next case.
              const gone = invocationsEnded('wsDisconnect', 1);
              socket.terminate();
              void gone.then(() => resolve({ status: 101 }));
            });
            socket.once('unexpected-response', (_req, res) => {
              res.resume();
              resolve({ status: res.statusCode ?? 0 });
            });
            socket.once('error', () => resolve({ status: -1 }));
          });
          statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
          const where = `${url.slice(0, 200)} → ${outcome.status}`;
          if (granted) {
            expect(outcome.status, where).toBe(101);
            return;
          }
          expect(outcome.status, where).toBeGreaterThanOrEqual(400);
          expect(outcome.status, where).toBeLessThan(500);
          expect({ writes: writes.count - writesBefore, seqrCalls: stack.simulator.calls().length - callsBefore }, where).toEqual({ writes: 0, seqrCalls: 0 });
        },
      ),
      { numRuns: HOSTILE.runs, seed: HOSTILE.seed },
    );
    figures.push(`$connect: ${HOSTILE.runs} handshakes, statuses ${JSON.stringify(statuses)}`);
  }, 600_000);
});

describe('When an accepted socket gets hostile frames', () => {
  it('should answer each frame that is not a subscribe with an error frame of the documented shape, write nothing, call SEQR never, and stay open', async () => {
    const socket = await openSocket(`${invoice.websocketUrl}`);
    const frames: Record<string, unknown>[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
    let kinds = { error: 0, subscribe: 0 };
    const frame = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.record({ action: fc.oneof(junk, fc.constantFrom('Subscribe', 'subscribe ', '$connect', '$disconnect', '$default', 'constructor', '__proto__', 'toString')), token: junk }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      junk,
      fc.constantFrom('', '{', 'null', '[]', '{"action":null}', '{"action":["subscribe"]}', '{"__proto__":{"action":"subscribe"}}', '{"action":"subscribe"', 'x'.repeat(100_000)),
    );
    await fc.assert(
      fc.asyncProperty(frame, async (body) => {
        let subscribe = false;
        try {
          const parsed = JSON.parse(body) as { action?: unknown } | null;
          subscribe = typeof parsed === 'object' && parsed !== null && String(parsed.action ?? '') === 'subscribe';
        } catch {
          subscribe = false;
        }
        const writesBefore = writes.count;
        const callsBefore = stack.simulator.calls().length;
        const framesBefore = frames.length;
        const done = invocationsEnded('wsSubscribe', 1);
        socket.send(body);
        await done;
        const where = `${JSON.stringify(body.slice(0, 200))} → ${JSON.stringify(frames.slice(framesBefore))}`;
        expect(socket.readyState, where).toBe(WebSocket.OPEN);
        expect(stack.simulator.calls().length - callsBefore, where).toBe(0);
        if (subscribe) {
          kinds.subscribe += 1;
          return;
        }
        kinds.error += 1;
        expect(writes.count - writesBefore, where).toBe(0);
        const reply = frames.slice(framesBefore);
        expect(reply, where).toHaveLength(1);
        const { type, ...rest } = reply[0]!;
        expect(type, where).toBe('error');
        expect(errorShapeProblem(rest), where).toBeUndefined();
      }),
      { numRuns: HOSTILE.runs, seed: HOSTILE.seed },
    );
    // Still serving: a subscribe answers (the status was pushed once to this socket, so a further one is skipped; a fresh socket hears it).
    const fresh = await openSocket(invoice.websocketUrl);
    const status = new Promise<Record<string, unknown>>((resolve) => fresh.once('message', (d) => resolve(JSON.parse(String(d)) as Record<string, unknown>)));
    fresh.send(JSON.stringify({ action: 'subscribe' }));
    expect(await status).toMatchObject({ type: 'invoice.status', invoiceReference: invoice.invoiceReference, status: 'ISSUED' });
    fresh.close();
    socket.close();
    figures.push(`frames: ${HOSTILE.runs} on one socket, ${kinds.error} answered with an error frame, ${kinds.subscribe} subscribes`);
    kinds = { error: 0, subscribe: 0 };
  }, 600_000);
});
