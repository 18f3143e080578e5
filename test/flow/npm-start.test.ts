/**
 * `npm start` as a shop's engineer runs it: one process that prints its URLs and
 * the shop key, serves the contract, stops cleanly on Ctrl-C, and keeps its
 * data across a restart (dynalite on disk).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ORDER } from '../support/local-stack.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'seqr-npm-start-'));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  ports: Record<'HTTP_PORT' | 'WEBSOCKET_PORT' | 'SEQR_SIMULATOR_PORT' | 'DYNAMODB_PORT', number>;
}

/**
 * `npm start` on free ports. A port found free can be taken by a parallel suite
 * before the stack binds it: then it starts again on other ports.
 */
async function npmStartOnFreePorts(env: Record<string, string>): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    const ports = { HTTP_PORT: await freePort(), WEBSOCKET_PORT: await freePort(), SEQR_SIMULATOR_PORT: await freePort(), DYNAMODB_PORT: await freePort() };
    try {
      return { ...(await npmStart({ ...env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) })), ports };
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

async function npmStart(env: Record<string, string>): Promise<Omit<Started, 'ports'>> {
  // Its own process group, as a terminal's foreground job: Ctrl-C reaches every process in it.
  const child = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const until = Date.now() + 30_000;
  while (!output.includes('Ctrl-C stops everything')) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => output };
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Ctrl-C as a terminal sends it: to the whole process group. Resolves once
 * every process of the group is gone, with whether the stack said it stopped.
 */
async function interrupt(started: Started): Promise<boolean> {
  const pid = started.child.pid!;
  process.kill(-pid, 'SIGINT');
  const until = Date.now() + 15_000;
  while (groupAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  return !groupAlive(pid) && started.output().includes('SIGINT: stopping');
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('When a shop engineer runs npm start', () => {
  it('should print its URLs and key, serve the contract, stop on Ctrl-C, and keep invoices across a restart', async () => {
    const env = { DATA_PATH: path.join(dataDir, 'dynamodb'), LOG_LEVEL: 'warn' };
    const auth = { authorization: 'Bearer local-shop-key', 'content-type': 'application/json' };

    const first = await npmStartOnFreePorts(env);
    const { ports } = first;
    const api = `http://localhost:${ports.HTTP_PORT}`;
    expect(first.output()).toContain(`HTTP API        ${api}`);
    expect(first.output()).toContain(`WebSocket       ws://localhost:${ports.WEBSOCKET_PORT}`);
    expect(first.output()).toContain(`http://127.0.0.1:${ports.SEQR_SIMULATOR_PORT}`);
    expect(first.output()).toContain('local-shop-key');

    const created = (await (await fetch(`${api}/invoices`, { method: 'POST', headers: auth, body: JSON.stringify(ORDER) })).json()) as { invoiceReference: string };
    const pay = await fetch(`http://127.0.0.1:${ports.SEQR_SIMULATOR_PORT}/simulator/invoices/${created.invoiceReference}/pay`, { method: 'POST' });
    expect(pay.status).toBe(200);
    const paid = (await (await fetch(`${api}/invoices/${created.invoiceReference}`, { headers: auth })).json()) as { status: string };
    expect(paid.status).toBe('PAID');

    expect(await interrupt(first)).toBe(true);
    await expect(fetch(`${api}/invoices/${created.invoiceReference}`, { headers: auth })).rejects.toThrow();

    const second = await npmStartOnFreePorts(env);
    try {
      const againApi = `http://localhost:${second.ports.HTTP_PORT}`;
      const again = (await (await fetch(`${againApi}/invoices/${created.invoiceReference}`, { headers: auth })).json()) as { status: string };
      expect(again.status).toBe('PAID');
    } finally {
      expect(await interrupt(second)).toBe(true);
    }
  });
});
