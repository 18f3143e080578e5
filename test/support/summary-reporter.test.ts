/**
 * The summary line of test/support/summary-reporter.ts, from real vitest runs:
 * vitest in a child process on a folder of throw-away test files (inside the
 * project, so `vitest` resolves, and outside test/, so the real run never
 * picks them up), with the reporter as vitest.config.ts uses it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPORTER = path.join(ROOT, 'test', 'support', 'summary-reporter.ts');
const VITEST = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');

const PASSING = "import { expect, it } from 'vitest';\nit('adds', () => expect(1 + 1).toBe(2));\n";

mkdirSync(path.join(ROOT, 'cdk.out'), { recursive: true });
const workdir = mkdtempSync(path.join(ROOT, 'cdk.out', 'test-summary-'));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** Runs vitest on the given files; returns its exit code and the summary lines it printed. */
function runVitest(name: string, files: Record<string, string>): { status: number | null; summary: string; outside: string[] } {
  const dir = path.join(workdir, name);
  mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  writeFileSync(
    path.join(dir, 'vitest.config.ts'),
    `import { defineConfig } from 'vitest/config';\nexport default defineConfig({ test: { include: ['*.test.ts'], maxWorkers: 1, reporters: ['default', ${JSON.stringify(REPORTER)}] } });\n`,
  );
  // A clean environment: nothing of the vitest run this test is part of leaks into the child's.
  const child = spawnSync(process.execPath, [VITEST, 'run', '--config', 'vitest.config.ts'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 90_000,
  });
  const lines = `${child.stdout}\n${child.stderr}`.split('\n');
  return {
    status: child.status,
    summary: lines.filter((line) => line.startsWith('tests: ')).join('\n'),
    outside: lines.filter((line) => line.startsWith('failed outside a test: ')),
  };
}

describe('When a test file fails to load', () => {
  it('should count a file with a syntax error as 1 failed, and the run should exit non-zero', () => {
    const run = runVitest('syntax', {
      'broken.test.ts': "import { it } from 'vitest';\nit('never runs', () => { const = 1; });\n",
      'passing.test.ts': PASSING,
    });
    expect(run.summary).toBe('tests: 1 passed, 1 failed, 0 skipped');
    expect(run.status).not.toBe(0);
    expect(run.outside).toHaveLength(1);
    expect(run.outside[0]).toContain('broken.test.ts');
  }, 120_000);

  it('should count a file whose import is missing as 1 failed, and the run should exit non-zero', () => {
    const run = runVitest('import', {
      'broken.test.ts': "import { it } from 'vitest';\nimport { nothing } from './does-not-exist.js';\nit('never runs', () => nothing());\n",
      'passing.test.ts': PASSING,
    });
    expect(run.summary).toBe('tests: 1 passed, 1 failed, 0 skipped');
    expect(run.status).not.toBe(0);
    expect(run.outside[0]).toMatch(/broken\.test\.ts: .*does-not-exist/);
  }, 120_000);
});

describe('When a run fails outside any test', () => {
  it('should count a throw at top level, a failed beforeAll and an unhandled error, each once', () => {
    const run = runVitest('outside', {
      'top-level.test.ts': "import { it } from 'vitest';\nit('collected', () => {});\nthrow new Error('top-level');\n",
      'hook.test.ts':
        "import { beforeAll, describe, it } from 'vitest';\ndescribe('with a broken hook', () => {\n  beforeAll(() => { throw new Error('hook'); });\n  it('a', () => {});\n  it('b', () => {});\n});\n",
      'unhandled.test.ts':
        "import { it } from 'vitest';\nit('starts a timer', () => { setTimeout(() => { throw new Error('late'); }, 10); });\nit('waits', async () => { await new Promise((resolve) => setTimeout(resolve, 100)); });\n",
      'passing.test.ts': PASSING,
    });
    // 3 passed (passing, and both tests of unhandled); the hook's 2 tests skipped; failed: the file, the hook, the unhandled error.
    expect(run.summary).toBe('tests: 3 passed, 3 failed, 2 skipped');
    expect(run.status).not.toBe(0);
    expect(run.outside.join('\n')).toMatch(/top-level\.test\.ts: Error: top-level/);
    expect(run.outside.join('\n')).toMatch(/hook\.test\.ts > with a broken hook: Error: hook/);
    expect(run.outside.join('\n')).toMatch(/unhandled: Error: late/);
  }, 120_000);
});

describe('When every test passes', () => {
  it('should say 0 failed and exit zero', () => {
    const run = runVitest('green', { 'passing.test.ts': PASSING, 'also-passing.test.ts': PASSING });
    expect(run.summary).toBe('tests: 2 passed, 0 failed, 0 skipped');
    expect(run.status).toBe(0);
    expect(run.outside).toEqual([]);
  }, 120_000);
});
