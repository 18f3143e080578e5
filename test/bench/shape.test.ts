/**
 * `npm run bench -- --quick` end to end: it runs on the local stack, and the
 * JSON it writes has exactly issue 14's shape, with a figure for every catalog
 * route and every function. (The full bench stays out of npm test.)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../src/catalog.js';
import { catalogPaths } from '../../bench/paths.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe('npm run bench -- --quick', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'seqr-bench-'));
  let latest: Record<string, any>;
  let stdout: string;

  beforeAll(async () => {
    try {
      ({ stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', dir], { cwd: ROOT, timeout: 100_000, maxBuffer: 16 * 1024 * 1024 }));
    } catch (error) {
      const failed = error as Error & { stdout?: string; stderr?: string };
      throw new Error(`the quick bench failed: ${failed.message}\n${failed.stderr ?? ''}\n${failed.stdout ?? ''}`.slice(0, 8_000));
    }
    latest = JSON.parse(readFileSync(path.join(dir, 'latest.json'), 'utf8'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes exactly the shape of issue 14', () => {
    expect(Object.keys(latest).sort()).toEqual(['confirm', 'cost', 'functions', 'polling', 'push', 'ratioP50', 'storeOps', 'throughput'].sort());
    for (const key of ['push', 'polling']) {
      expect(Object.keys(latest[key]).sort()).toEqual(['n', 'p50', 'p95', 'p99']);
      expect(latest[key].n).toBeGreaterThan(0);
      expect(latest[key].p50).toBeGreaterThan(0);
      expect(latest[key].p50).toBeLessThanOrEqual(latest[key].p95);
      expect(latest[key].p95).toBeLessThanOrEqual(latest[key].p99);
    }
    expect(latest.ratioP50).toBeCloseTo(latest.polling.p50 / latest.push.p50, 0);
    expect(Object.keys(latest.confirm).sort()).toEqual(['max', 'p50', 'p99']);
    expect(latest.confirm.p99).toBeLessThanOrEqual(latest.confirm.max);
    expect(Object.keys(latest.throughput).sort()).toEqual(['checkouts', 'duplicated', 'errors5xx', 'lost', 'perSecond', 'reversed']);
    expect(latest.throughput.perSecond).toBeGreaterThan(0);
    expect(Object.keys(latest.cost).sort()).toEqual(['oldPluginPerThousand', 'perThousandPayments', 'prices']);
    expect(latest.cost.prices.label).toMatch(/as of/);
  });

  it('counts store requests for every catalog route', () => {
    for (const { key } of catalogPaths()) {
      expect(latest.storeOps[key], key).toBeDefined();
      expect(Object.keys(latest.storeOps[key]).sort()).toEqual(['msShare', 'requests']);
      expect(Number.isInteger(latest.storeOps[key].requests)).toBe(true);
      expect(latest.storeOps[key].msShare).toBeGreaterThanOrEqual(0);
      expect(latest.storeOps[key].msShare).toBeLessThanOrEqual(1);
    }
    // The notification path stores and reads, whatever its count becomes.
    expect(latest.storeOps['POST /seqr/notifications/{notificationToken}'].requests).toBeGreaterThan(0);
    expect(stdout).not.toMatch(/NOT MEASURED/);
  });

  it('has a bundle size and a cold start for every function', () => {
    expect(latest.functions.map((f: { name: string }) => f.name).sort()).toEqual(Object.keys(FUNCTIONS).sort());
    for (const f of latest.functions) {
      expect(Object.keys(f).sort()).toEqual(['bundleBytes', 'coldStartMs', 'name']);
      expect(f.bundleBytes).toBeGreaterThan(500);
      expect(Number.isFinite(f.coldStartMs)).toBe(true);
    }
  });

  it('prices a payment at a sane fraction of a cent, and the old way above ours', () => {
    expect(latest.cost.perThousandPayments).toBeGreaterThan(0.001);
    expect(latest.cost.perThousandPayments).toBeLessThan(1);
    expect(latest.cost.oldPluginPerThousand).toBeGreaterThan(latest.cost.perThousandPayments);
  });

  it('prints every table', () => {
    for (const title of ["Paid → the shopper's page knows", 'getPaymentStatus reaching SEQR', 'DynamoDB requests per path', 'Throughput', 'Functions', 'Cost per 1,000 payments', 'Profile: notification → push', 'Targets']) {
      expect(stdout).toContain(title);
    }
  });
});
