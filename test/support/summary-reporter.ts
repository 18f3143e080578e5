/**
 * Ends a run with one plain line, `tests: N passed, N failed, N skipped`, that
 * CI logs and other tools read without knowing vitest's own format.
 *
 * "failed" counts every failed test, and also every failure outside a test,
 * once each: a test file that fails to load (syntax error, missing import, a
 * throw at top level), a describe block whose hook threw, and an unhandled
 * error of the run. Such failures have no test of their own to fail, so
 * counting only tests would print `0 failed` for a run that failed. Whenever
 * the count is not zero the run exits non-zero.
 */
import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';

export interface SummaryCounts {
  passed: number;
  failed: number;
  skipped: number;
  /** What failed outside a test, e.g. `broken.test.ts: SyntaxError …` (part of `failed`). */
  outside: string[];
}

function fileOf(module: TestModule): string {
  return module.relativeModuleId ?? module.moduleId;
}

function firstLine(errors: ReadonlyArray<{ name?: string; message?: string }>): string {
  const error = errors[0];
  return error ? `${error.name ?? 'Error'}: ${String(error.message ?? '').split('\n')[0]}` : 'failed';
}

export function summarize(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = []): SummaryCounts {
  const counts: SummaryCounts = { passed: 0, failed: 0, skipped: 0, outside: [] };
  for (const module of testModules) {
    let failedTests = 0;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed') {
        counts.failed++;
        failedTests++;
      } else counts.skipped++;
    }
    const outside: string[] = [];
    // The file itself: did not load, or threw outside any test.
    if (module.errors().length > 0) outside.push(`${fileOf(module)}: ${firstLine(module.errors())}`);
    // A describe block whose beforeAll/afterAll threw (its tests are skipped, not failed).
    for (const suite of module.children.allSuites()) {
      if (suite.errors().length > 0) outside.push(`${fileOf(module)} > ${suite.fullName}: ${firstLine(suite.errors())}`);
    }
    // Failed without saying why: still a failed suite.
    if (outside.length === 0 && failedTests === 0 && module.state() === 'failed') outside.push(`${fileOf(module)}: failed`);
    counts.failed += outside.length;
    counts.outside.push(...outside);
  }
  for (const error of unhandledErrors) {
    counts.failed++;
    counts.outside.push(`unhandled: ${firstLine([error])}`);
  }
  return counts;
}

export function summaryLine(counts: SummaryCounts): string {
  return `tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, _reason: TestRunEndReason): void {
    const counts = summarize(testModules, unhandledErrors);
    const outside = counts.outside.map((line) => `failed outside a test: ${line}\n`).join('');
    process.stdout.write(`\n${outside}${summaryLine(counts)}\n`);
    if (counts.failed > 0) process.exitCode = 1;
  }
}
