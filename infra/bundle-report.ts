/**
 * `npm run bundle-report`: bundles every function the way the CDK construct
 * does (the options come from infra/bundling.ts), prints each minified size,
 * and fails when a function that does not speak SEQR (`seqr: false` in the
 * catalog) pulls in the `soap` package: those functions must stay small and
 * start fast. Handlers not written yet are listed as missing, not failed.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { FUNCTIONS, type FunctionName, type FunctionSpec } from '../src/catalog.js';
import { BUNDLE_FILE, PAYMENT_VIEW_BUILD_MODULE, PAYMENT_VIEW_FILE, PROJECT_ROOT, esbuildOptions } from './bundling.js';

export interface BundleReportRow {
  name: FunctionName;
  entry: string;
  seqr: boolean;
  /** Bytes of the minified index.mjs; undefined when the handler does not exist yet. */
  bytes?: number;
  /** Whether any input comes from node_modules/soap/. */
  hasSoap?: boolean;
  /** Bytes of payment-view.js (paymentView only). */
  assetBytes?: number;
  problem?: string;
}

/** The metafile inputs that come from the soap package. */
export function soapInputs(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs).filter((input) => input.replace(/\\/g, '/').includes('node_modules/soap/'));
}

async function bundleOne(name: FunctionName, spec: FunctionSpec, outdir: string): Promise<BundleReportRow> {
  const row: BundleReportRow = { name, entry: spec.entry, seqr: spec.seqr };
  if (!existsSync(path.join(PROJECT_ROOT, spec.entry))) return { ...row, problem: 'missing (handler not written yet)' };
  const options = esbuildOptions(spec, path.join(outdir, name));
  const result = await build(options);
  row.bytes = statSync(path.join(outdir, name, BUNDLE_FILE)).size;
  row.hasSoap = soapInputs(result.metafile).length > 0;
  if (!spec.seqr && row.hasSoap) row.problem = 'bundles the soap package but does not speak SEQR (seqr: false)';
  if (name === 'paymentView' && existsSync(path.join(PROJECT_ROOT, PAYMENT_VIEW_BUILD_MODULE))) {
    const web = (await import(pathToFileURL(path.join(PROJECT_ROOT, PAYMENT_VIEW_BUILD_MODULE)).href)) as {
      buildPaymentView(options: { outfile: string }): Promise<{ bytes: number }>;
    };
    row.assetBytes = (await web.buildPaymentView({ outfile: path.join(outdir, name, PAYMENT_VIEW_FILE) })).bytes;
  }
  return row;
}

/** Bundles every function that exists, a few at a time. */
export async function bundleReport(): Promise<BundleReportRow[]> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'seqr-bundle-report-'));
  try {
    const names = Object.keys(FUNCTIONS) as FunctionName[];
    const rows: BundleReportRow[] = [];
    for (const name of names) rows.push(await bundleOne(name, FUNCTIONS[name], outdir));
    return rows;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function kib(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / 1024).toFixed(1)} KiB`;
}

export function formatReport(rows: readonly BundleReportRow[]): string {
  const header = ['function', 'seqr', 'index.mjs', 'soap', 'note'];
  const lines = rows.map((row) => [
    row.name,
    row.seqr ? 'yes' : 'no',
    kib(row.bytes),
    row.hasSoap === undefined ? '-' : row.hasSoap ? 'yes' : 'no',
    [row.problem, row.assetBytes !== undefined ? `${PAYMENT_VIEW_FILE} ${kib(row.assetBytes)}` : undefined].filter(Boolean).join('; '),
  ]);
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...lines.map((line) => line[i]!.length)));
  return [header, ...lines].map((line) => line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const rows = await bundleReport();
  console.log(formatReport(rows));
  const failures = rows.filter((row) => row.problem && row.bytes !== undefined);
  const missing = rows.filter((row) => row.bytes === undefined);
  if (missing.length > 0) console.log(`\n${missing.length} handler(s) not written yet: ${missing.map((row) => row.name).join(', ')}`);
  if (failures.length > 0) {
    console.error(`\nFAIL: ${failures.map((row) => `${row.name}: ${row.problem}`).join('; ')}`);
    process.exitCode = 1;
  } else {
    console.log('\nOK: no function without SEQR bundles soap.');
  }
}
