/**
 * Cold-start costs we control, each measured in a fresh Node process:
 *   - importing a function's deployed bundle (minified ESM, as Lambda loads it),
 *     for a function without SOAP and for SEQR-speaking ones;
 *   - building the SOAP client from the WSDL shipped beside the code (ours)
 *     against fetching `?wsdl` from the server at start (what SEQR's PHP/Java
 *     samples do), even here on loopback where a fetch is cheapest.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { FUNCTIONS, type FunctionName } from '../src/catalog.js';
import { BUNDLE_FILE, PROJECT_ROOT, WSDL_FILE, WSDL_SOURCE, esbuildOptions } from '../infra/bundling.js';

export interface ColdStartRow {
  name: string;
  samples: number[];
}

const run = promisify(execFile);

/**
 * Runs an ES module body in a fresh `node` and returns the number it prints.
 * Asynchronous on purpose: the simulator answering `?wsdl` lives in this process.
 */
async function freshProcess(script: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    timeout: 60_000,
  });
  return Number(stdout);
}

async function samplesOf(runs: number, script: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await freshProcess(script));
  return samples;
}

export async function coldStart(options: { runs: number; wsdlUrl: string }): Promise<ColdStartRow[]> {
  // Inside the project, so the bundles find the AWS SDK in node_modules as Lambda finds it in its runtime.
  mkdirSync(path.join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
  const outdir = mkdtempSync(path.join(PROJECT_ROOT, 'bench', 'results', 'cold-start-'));
  try {
    const rows: ColdStartRow[] = [];
    const functions: FunctionName[] = ['wsSubscribe', 'seqrNotification', 'createInvoice'];
    for (const name of functions) {
      const dir = path.join(outdir, name);
      await build(esbuildOptions(FUNCTIONS[name], dir));
      copyFileSync(path.join(PROJECT_ROOT, WSDL_SOURCE), path.join(dir, WSDL_FILE));
      const bundle = pathToFileURL(path.join(dir, BUNDLE_FILE)).href;
      const samples = await samplesOf(options.runs, `const t0 = performance.now(); await import(${JSON.stringify(bundle)}); process.stdout.write(String(performance.now() - t0))`);
      rows.push({ name: `import ${name} bundle${FUNCTIONS[name].seqr ? ' (soap)' : ''}`, samples });
    }
    const soap = pathToFileURL(path.join(PROJECT_ROOT, 'node_modules', 'soap', 'lib', 'soap.js')).href;
    const wsdlFile = path.join(PROJECT_ROOT, WSDL_SOURCE);
    const client = (source: string) =>
      `const soap = await import(${JSON.stringify(soap)}); const t1 = performance.now(); await soap.createClientAsync(${JSON.stringify(source)}); process.stdout.write(String(performance.now() - t1)); process.exit(0)`;
    rows.push({ name: 'SOAP client from the shipped WSDL', samples: await samplesOf(options.runs, client(wsdlFile)) });
    rows.push({ name: 'SOAP client fetching ?wsdl (loopback)', samples: await samplesOf(options.runs, client(options.wsdlUrl)) });
    return rows;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
