/**
 * The log audit (a globalSetup of the whole run): before the run it makes the
 * folder test/support/log-tap.ts writes into; after the run, when every suite
 * is done, it scans every captured line for every secret captured (the SEQR
 * passwords, the shop key, each subscribe and notification token, session id
 * and form token seen in an answer), as it is and percent-encoded, and fails
 * the run on any hit. One assertion over all captured logs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

export interface AuditResult {
  files: number;
  lines: number;
  secrets: number;
  hits: { file: string; line: number; kind: string; excerpt: string }[];
}

/** The secret masked, for a report that must not repeat it. */
function mask(secret: string): string {
  return `${secret.slice(0, 3)}…(${secret.length})`;
}

/** Every line of `lines` holding a secret (as is, percent-encoded or base64), with the secret masked in the excerpt. */
export function findSecrets(lines: readonly { file: string; text: string }[], secrets: Iterable<string>): AuditResult['hits'] {
  const forms: { form: string; secret: string; kind: string }[] = [];
  for (const secret of new Set(secrets)) {
    forms.push({ form: secret, secret, kind: 'plain' });
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) forms.push({ form: encoded, secret, kind: 'percent-encoded' });
    forms.push({ form: Buffer.from(secret).toString('base64').replace(/=+$/, ''), secret, kind: 'base64' });
  }
  const hits: AuditResult['hits'] = [];
  lines.forEach(({ file, text }, i) => {
    for (const { form, secret, kind } of forms) {
      if (!text.includes(form)) continue;
      const at = text.indexOf(form);
      const excerpt = (text.slice(Math.max(0, at - 120), at) + `[${kind} secret ${mask(secret)}]` + text.slice(at + form.length, at + form.length + 80)).replace(/\s+/g, ' ');
      hits.push({ file, line: i + 1, kind, excerpt });
    }
  });
  return hits;
}

export function auditFolder(dir: string): AuditResult {
  const names = readdirSync(dir);
  const secrets = new Set<string>();
  for (const name of names.filter((n) => n.endsWith('.secrets'))) {
    for (const value of readFileSync(path.join(dir, name), 'utf8').split('\n')) if (value.length >= 8) secrets.add(value);
  }
  const lines: { file: string; text: string }[] = [];
  const logs = names.filter((n) => n.endsWith('.log'));
  for (const name of logs) for (const text of readFileSync(path.join(dir, name), 'utf8').split('\n')) if (text) lines.push({ file: name, text });
  return { files: logs.length, lines: lines.length, secrets: secrets.size, hits: findSecrets(lines, secrets) };
}

export default function setup(project: TestProject) {
  const dir = process.env.LOG_TAP_DIR || mkdtempSync(path.join(tmpdir(), 'seqr-log-tap-'));
  project.provide('logTapDir', dir);
  return () => {
    const result = auditFolder(dir);
    process.stdout.write(`\nlog audit: ${result.lines} log lines from ${result.files} test files scanned for ${result.secrets} secrets: ${result.hits.length} found\n`);
    if (result.hits.length) {
      const shown = result.hits.slice(0, 20).map((h) => `  ${h.file}:${h.line}: ${h.excerpt}`);
      // Kept for a look; a clean run leaves nothing behind. A throw here is only printed: the exit code says it.
      process.exitCode = 1;
      throw new Error(`log audit: a secret appears in ${result.hits.length} captured log line(s) (lines kept in ${dir}):\n${shown.join('\n')}`);
    }
    if (!process.env.LOG_TAP_DIR) rmSync(dir, { recursive: true, force: true });
  };
}
