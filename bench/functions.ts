/**
 * Per function of src/catalog.ts: its production bundle (infra/bundling.ts's
 * esbuild options, minified ESM, @aws-sdk/* left to the runtime) and its cold
 * start: a fresh `node` importing the bundle and running its init to the end
 * (the process exits when the init's own work is done), timed from spawn to
 * exit, median of `runs`, minus an empty Node process timed the same way.
 * Lambda's NODE_OPTIONS (`--enable-source-maps`) is set in both, as deployed.
 *
 * To say what dominates, the same is timed for the AWS SDK packages the bundle
 * leaves external imported alone, and (for the functions named in `experiments`)
 * the bundle without source maps and with the SDK bundled in. Every run spawns
 * the empty process and each variant in turn, so load from elsewhere on a
 * shared machine falls on all of them alike; the child's CPU time is kept too.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { FUNCTIONS, type FunctionName } from '../src/catalog.js';
import { BUNDLE_FILE, NODE_OPTIONS, PAYMENT_VIEW_FILE, PROJECT_ROOT, WSDL_FILE, WSDL_SOURCE, esbuildOptions } from '../infra/bundling.js';
import { median, round } from './stats.js';

export interface FunctionFigure {
  name: FunctionName;
  bundleBytes: number;
  coldStartMs: number;
}

export interface FunctionDetails extends FunctionFigure {
  /** Spawn-to-exit of the bundle's process, median, ms (before subtracting the empty process). */
  processMs: number;
  /** CPU time of the bundle's process above the empty one's (medians), ms: a check on the wall clock on a busy machine. */
  cpuMs: number;
  samples: number[];
  /** The @aws-sdk/* packages the bundle imports from the runtime. */
  sdkPackages: string[];
  /** Importing only those packages, above the empty process, ms. */
  sdkImportMs: number;
  memoryMiB: number;
  experiments?: { withoutSourceMapsMs: number; sdkBundledMs: number; sdkBundledWithoutSourceMapsMs: number; sdkBundledBytes: number };
}

export interface FunctionsReport {
  emptyProcessMs: number;
  emptyProcessCpuMs: number;
  /** A bundle holding only the `soap` package (same options), above the empty process, ms. */
  soapAloneMs: number;
  soapAloneBytes: number;
  functions: FunctionDetails[];
}

/** What the CDK construct gives each function (infra/seqr-webshop-payments.ts: `spec.memoryMiB ?? (spec.seqr ? 512 : 256)`). */
export function configuredMemoryMiB(name: FunctionName): number {
  const spec: { memoryMiB?: number; seqr: boolean } = FUNCTIONS[name];
  return spec.memoryMiB ?? (spec.seqr ? 512 : 256);
}

/** The child reports the CPU time it used (all threads), read at exit: less swayed by other load than the wall clock. */
const CPU_REPORT = "process.on('exit', () => { const u = process.resourceUsage(); process.stdout.write(String((u.userCPUTime + u.systemCPUTime) / 1000)); });";

interface Timing {
  wall: number;
  cpu: number;
}

function spawnToExit(script: string, env: NodeJS.ProcessEnv): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    execFile(process.execPath, ['--input-type=module', '-e', `${CPU_REPORT} ${script}`], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      const wall = performance.now() - started;
      if (error) reject(new Error(`${script.slice(0, 200)}: ${error.message} ${stderr.slice(0, 500)}`));
      else resolve({ wall, cpu: Number(stdout) });
    });
  });
}

const importScript = (file: string) => `await import(${JSON.stringify(pathToFileURL(file).href)});`;

function externalSdkPackages(metafile: Metafile): string[] {
  const out = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) {
      // A dynamic import (the Secrets Manager client, loaded when a secret is first read) is not part of the init.
      if (imported.external && imported.kind !== 'dynamic-import' && imported.path.startsWith('@aws-sdk/')) out.add(imported.path.split('/').slice(0, 2).join('/'));
    }
  }
  return [...out].sort();
}

async function bundle(name: FunctionName, dir: string, options: { sdkBundled?: boolean } = {}): Promise<{ file: string; bytes: number; metafile: Metafile }> {
  const spec = FUNCTIONS[name];
  const base = esbuildOptions(spec, dir);
  const result = await build(options.sdkBundled ? { ...base, external: [] } : base);
  if (spec.seqr) copyFileSync(path.join(PROJECT_ROOT, WSDL_SOURCE), path.join(dir, WSDL_FILE));
  if (name === 'paymentView' && process.env.PAYMENT_VIEW_ASSET) copyFileSync(process.env.PAYMENT_VIEW_ASSET, path.join(dir, PAYMENT_VIEW_FILE));
  const file = path.join(dir, BUNDLE_FILE);
  return { file, bytes: statSync(file).size, metafile: result.metafile };
}

export async function measureFunctions(options: { runs: number; experiments: readonly FunctionName[]; env: NodeJS.ProcessEnv }): Promise<FunctionsReport> {
  const env: NodeJS.ProcessEnv = { ...options.env, NODE_OPTIONS, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const withoutMaps: NodeJS.ProcessEnv = { ...env, NODE_OPTIONS: '' };
  // Inside the project, so an external @aws-sdk/* resolves to node_modules as Lambda's runtime provides it.
  mkdirSync(path.join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
  const outdir = mkdtempSync(path.join(PROJECT_ROOT, 'bench', 'results', 'functions-'));
  try {
    // Round-robin: each run spawns an empty process and then every variant once, so
    // a burst of load from elsewhere on the machine weighs on all of them alike.
    const empty: number[] = [];
    const emptyCpu: number[] = [];
    const rounds = async (variants: { script: string; env?: NodeJS.ProcessEnv }[]): Promise<Timing[][]> => {
      const out: Timing[][] = variants.map(() => []);
      for (let i = 0; i < options.runs; i++) {
        const before = await spawnToExit('', env);
        empty.push(before.wall);
        emptyCpu.push(before.cpu);
        for (const [v, variant] of variants.entries()) out[v]!.push(await spawnToExit(variant.script, variant.env ?? env));
      }
      return out;
    };
    const wall = (timings: Timing[]) => median(timings.map((t) => t.wall));
    const functions: FunctionDetails[] = [];
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const built = await bundle(name, path.join(outdir, name));
      const sdkPackages = externalSdkPackages(built.metafile);
      // The same packages imported alone, resolved from the project as the bundle resolves them.
      const sdkFile = path.join(outdir, `${name}-sdk-alone.mjs`);
      writeFileSync(sdkFile, sdkPackages.map((pkg) => `await import(${JSON.stringify(pkg)});`).join(' '));
      const variants: { script: string; env?: NodeJS.ProcessEnv }[] = [{ script: importScript(built.file) }, { script: importScript(sdkFile) }];
      const experiment = options.experiments.includes(name) ? await bundle(name, path.join(outdir, `${name}-sdk-bundled`), { sdkBundled: true }) : undefined;
      if (experiment) {
        variants.push(
          { script: importScript(built.file), env: withoutMaps },
          { script: importScript(experiment.file) },
          { script: importScript(experiment.file), env: withoutMaps },
        );
      }
      const [deployed, sdkAlone, noMaps, sdkBundled, both] = await rounds(variants);
      const row: FunctionDetails = {
        name,
        bundleBytes: built.bytes,
        coldStartMs: 0,
        processMs: round(wall(deployed!)),
        samples: deployed!.map((t) => round(t.wall)),
        cpuMs: median(deployed!.map((t) => t.cpu)),
        sdkPackages,
        sdkImportMs: wall(sdkAlone!),
        memoryMiB: configuredMemoryMiB(name),
      };
      if (experiment) {
        row.experiments = {
          withoutSourceMapsMs: wall(noMaps!),
          sdkBundledMs: wall(sdkBundled!),
          sdkBundledWithoutSourceMapsMs: wall(both!),
          sdkBundledBytes: experiment.bytes,
        };
      }
      functions.push(row);
    }
    const soapDir = path.join(outdir, 'soap-alone');
    mkdirSync(soapDir, { recursive: true });
    const soapEntry = path.join(soapDir, 'entry.mjs');
    writeFileSync(soapEntry, "import * as soap from 'soap'; globalThis.soapLoaded = typeof soap.createClientAsync;\n");
    await build({ ...esbuildOptions(FUNCTIONS.seqrNotification, soapDir), entryPoints: [soapEntry] });
    const soapFile = path.join(soapDir, BUNDLE_FILE);
    const soapAlone = wall((await rounds([{ script: importScript(soapFile) }]))[0]!);
    const emptyProcessMs = median(empty);
    const emptyProcessCpuMs = median(emptyCpu);
    for (const row of functions) {
      row.coldStartMs = round(row.processMs - emptyProcessMs);
      row.cpuMs = round(row.cpuMs - emptyProcessCpuMs);
      row.sdkImportMs = round(row.sdkImportMs - emptyProcessMs);
      if (row.experiments) {
        row.experiments.withoutSourceMapsMs = round(row.experiments.withoutSourceMapsMs - emptyProcessMs);
        row.experiments.sdkBundledMs = round(row.experiments.sdkBundledMs - emptyProcessMs);
        row.experiments.sdkBundledWithoutSourceMapsMs = round(row.experiments.sdkBundledWithoutSourceMapsMs - emptyProcessMs);
      }
    }
    return { emptyProcessMs: round(emptyProcessMs), emptyProcessCpuMs: round(emptyProcessCpuMs), soapAloneMs: round(soapAlone - emptyProcessMs), soapAloneBytes: statSync(soapFile).size, functions };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
