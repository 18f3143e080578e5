/**
 * The package as a shop's engineer installs it: `npm pack` (which builds
 * dist/ through `prepack`), a new CDK app outside the repository with only
 * `aws-cdk-lib`, `constructs`, `aws-cdk` (and `typescript` for the TypeScript
 * app) linked from this repository's node_modules plus the tarball, installed
 * offline. A plain `.mjs` app and a TypeScript app compiled by the app's own
 * `tsc` import `{ SeqrWebshopPayments }` from 'seqr-webshop-aws' and run
 * `cdk synth`: nothing is bundled in the consumer, every function of the
 * catalog is in the template, deployed from the bundles inside the package.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionName } from '../../src/catalog.js';
import { PROJECT_ROOT } from '../../infra/bundling.js';

const exec = promisify(execFile);
const PACKAGE = 'seqr-webshop-aws';
const LINKED = ['aws-cdk-lib', 'constructs', 'aws-cdk', 'typescript'] as const;

/** The functions a default deployment has: all of the catalog but those only the sample shop routes to. */
/** Every function of the catalog: the TypeScript app gives a webhook, so it has them all. */
const ALL_FUNCTIONS = Object.keys(FUNCTIONS) as FunctionName[];
/** The plain app gives no webhook: every function but the webhook's. */
const EXPECTED_FUNCTIONS = ALL_FUNCTIONS.filter((name) => !(FUNCTIONS[name] as { webhook?: boolean }).webhook);

interface Run {
  code: number;
  output: string;
}

/** The environment of a child: no npm lifecycle variables of the run that started vitest, no NODE_PATH, no telemetry. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === 'NODE_PATH' || key === 'NODE_OPTIONS' || key.startsWith('VITEST')) continue;
    env[key] = value;
  }
  return { ...env, CDK_DISABLE_CLI_TELEMETRY: 'true', CI: 'true' };
}

async function run(command: string, args: string[], cwd: string): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(command, args, { cwd, env: childEnv(), maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, output: `${failed.stdout ?? ''}${failed.stderr ?? failed.message}` };
  }
}

const node = (cwd: string, ...args: string[]) => run(process.execPath, args, cwd);
const cdkSynth = (cwd: string, app: string, out: string) =>
  node(cwd, 'node_modules/aws-cdk/bin/cdk', 'synth', '--app', app, '--output', out, '--no-notices', '--no-version-reporting', '--quiet');

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }>; Outputs?: Record<string, unknown> };

/** The template's functions by catalog name (each function's description is `SEQR webshop payments: <name>`). */
function functionsOf(template: Template): Map<string, Record<string, any>> {
  const functions = new Map<string, Record<string, any>>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const match = /^SEQR webshop payments: (\w+)$/.exec(String(resource.Properties.Description));
    if (match) functions.set(match[1]!, resource.Properties);
  }
  return functions;
}

const JS_APP = `import { App, Stack } from 'aws-cdk-lib';
import { SeqrWebshopPayments } from '${PACKAGE}';

const app = new App();
const stack = new Stack(app, 'ShopPayments');
new SeqrWebshopPayments(stack, 'Payments', { allowedOrigins: ['https://shop.example.com'] });
app.synth();
`;

const TS_APP = `import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { SeqrWebshopPayments, type FunctionName, type SeqrWebshopPaymentsProps } from '${PACKAGE}';
import { acknowledgeAcceptedFindings } from '${PACKAGE}/nag-suppressions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

const app = new App();
const stack = new Stack(app, 'ShopPayments', { env: { account: '111122223333', region: 'eu-north-1' } });
const memory: Partial<Record<FunctionName, number>> = { seqrNotification: 1024 };
const webhookSecret = secretsmanager.Secret.fromSecretNameV2(stack, 'WebhookSecret', 'shop/seqr-webhook');
const props: SeqrWebshopPaymentsProps = {
  allowedOrigins: ['https://shop.example.com'],
  functionMemorySize: memory,
  logLevel: 'warn',
  webhook: { url: 'https://shop.example.com/seqr-events', secret: webhookSecret },
};
const payments = new SeqrWebshopPayments(stack, 'Payments', props);
acknowledgeAcceptedFindings(payments);
new CfnOutput(stack, 'HttpApiUrl', { value: payments.httpApiUrl });
new CfnOutput(stack, 'ShopApiKeySecretArn', { value: payments.shopApiKeySecret.secretArn });

// The types are the package's own, not \`any\`: each of these lines must be an error.
// @ts-expect-error not a function of the catalog
export const unknownFunction: SeqrWebshopPaymentsProps = { functionMemorySize: { notAFunction: 1024 } };
// @ts-expect-error not a log level
export const badLevel: SeqrWebshopPaymentsProps = { logLevel: 'verbose' };
// @ts-expect-error the test-only code swap is @internal, stripped from the .d.ts
export const internal: SeqrWebshopPaymentsProps = { functionCode: () => undefined };
app.synth();
`;

const tsconfig = (options: Record<string, unknown>) =>
  JSON.stringify({
    compilerOptions: { target: 'ES2022', lib: ['es2022'], strict: true, skipLibCheck: true, types: [], ...options },
    files: ['app.ts'],
  });

describe(`When the packed ${PACKAGE} is installed into a new CDK app`, () => {
  const work = mkdtempSync(path.join(tmpdir(), 'seqr-package-'));
  const appDir = path.join(work, 'app');
  let packed: Run;
  let tarball: string;
  let tarballFiles: string[];
  let install: Run;
  let jsSynth: Run;
  let tsCompile: Run;
  let tsSynth: Run;
  let bundlerCheck: Run;
  let commonJs: Run;

  beforeAll(async () => {
    // prepack runs `npm run build`: dist/ comes from this very run.
    packed = await run('npm', ['pack', '--pack-destination', work, '--loglevel', 'warn'], PROJECT_ROOT);
    expect(packed.code, packed.output).toBe(0);
    tarball = path.join(work, readdirSync(work).find((file) => file.endsWith('.tgz'))!);
    tarballFiles = (await run('tar', ['-tzf', tarball], work)).output.split('\n').filter(Boolean).map((file) => file.replace(/^package\//, ''));

    const link = (name: string) => `file:${path.join(PROJECT_ROOT, 'node_modules', name)}`;
    mkdirSync(appDir);
    writeFileSync(
      path.join(appDir, 'package.json'),
      JSON.stringify({
        name: 'shop-cdk-app',
        private: true,
        type: 'module',
        dependencies: { 'aws-cdk-lib': link('aws-cdk-lib'), constructs: link('constructs'), [PACKAGE]: `file:${tarball}` },
        devDependencies: { 'aws-cdk': link('aws-cdk'), typescript: link('typescript') },
      }),
    );
    install = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel', 'warn'], appDir);
    expect(install.code, install.output).toBe(0);

    writeFileSync(path.join(appDir, 'app.mjs'), JS_APP);
    writeFileSync(path.join(appDir, 'require.cjs'), `const { SeqrWebshopPayments } = require('${PACKAGE}');\nconsole.log(typeof SeqrWebshopPayments);\n`);
    writeFileSync(path.join(appDir, 'app.ts'), TS_APP);
    writeFileSync(path.join(appDir, 'tsconfig.json'), tsconfig({ module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out' }));
    writeFileSync(path.join(appDir, 'tsconfig.bundler.json'), tsconfig({ module: 'ESNext', moduleResolution: 'bundler', noEmit: true }));
    writeFileSync(path.join(appDir, 'cdk.json'), JSON.stringify({ app: 'node app.mjs' }));

    const tsc = (...args: string[]) => node(appDir, 'node_modules/typescript/bin/tsc', ...args);
    [jsSynth, [tsCompile, tsSynth], bundlerCheck, commonJs] = await Promise.all([
      cdkSynth(appDir, 'node app.mjs', 'cdk.out.js'),
      (async () => {
        const compiled = await tsc('-p', 'tsconfig.json');
        return [compiled, compiled.code === 0 ? await cdkSynth(appDir, 'node out/app.js', 'cdk.out.ts') : compiled] as const;
      })(),
      tsc('-p', 'tsconfig.bundler.json'),
      node(appDir, 'require.cjs'),
    ]);
  }, 420_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  describe('the tarball', () => {
    it('should hold the compiled construct with its types, every function bundle, and no tests, simulator or sources', () => {
      expect(tarballFiles).toContain('dist/infra/seqr-webshop-payments.js');
      expect(tarballFiles).toContain('dist/infra/seqr-webshop-payments.d.ts');
      for (const name of Object.keys(FUNCTIONS)) expect(tarballFiles, name).toContain(`dist/assets/${name}/index.mjs`);
      expect(tarballFiles.filter((file) => /^(test|local|bench|web|src|infra|examples)\//.test(file) || /(^|\/)[^/]+(?<!\.d)\.ts$/.test(file))).toEqual([]);
      expect(tarballFiles).toContain('package.json');
      expect(tarballFiles).toContain('README.md');
    });

    it('should put the WSDL beside the bundles that speak SEQR and payment-view.js beside the payment view', () => {
      for (const [name, spec] of Object.entries(FUNCTIONS)) {
        expect(tarballFiles.includes(`dist/assets/${name}/merchant.wsdl`), name).toBe(spec.seqr);
      }
      expect(tarballFiles).toContain('dist/assets/paymentView/payment-view.js');
    });

    it('should declare aws-cdk-lib and constructs as peers and point main, types and exports at files it ships', () => {
      const manifest = JSON.parse(readFileSync(path.join(appDir, 'node_modules', PACKAGE, 'package.json'), 'utf8'));
      expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
      expect(manifest.dependencies ?? {}).toEqual({});
      const targets = [manifest.main, manifest.types, ...['.', './nag-suppressions'].flatMap((entry) => [manifest.exports[entry].types, manifest.exports[entry].default])];
      for (const target of targets) expect(tarballFiles, target).toContain(path.posix.normalize(target));
    });

    it('should type its public API with aws-cdk-lib, constructs and its own files only', () => {
      // Followed from the types entry: a .d.ts naming esbuild, zod or node types would break a consumer's tsc.
      const root = path.join(appDir, 'node_modules', PACKAGE);
      const seen = new Set<string>();
      const bare = new Set<string>();
      const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        const text = readFileSync(file, 'utf8');
        for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
          if (spec!.startsWith('.')) visit(path.resolve(path.dirname(file), spec!.replace(/\.js$/, '.d.ts')));
          else bare.add(spec!);
        }
      };
      visit(path.join(root, 'dist/infra/seqr-webshop-payments.d.ts'));
      visit(path.join(root, 'dist/infra/nag-suppressions.d.ts'));
      expect(seen.size).toBeGreaterThan(1);
      expect([...bare].filter((spec) => !/^(aws-cdk-lib(\/.*)?|constructs)$/.test(spec))).toEqual([]);
    });
  });

  describe('the consumer app', () => {
    it('should have nothing but aws-cdk-lib, constructs, aws-cdk, typescript and the package: no esbuild, no tsx', () => {
      const installed = readdirSync(path.join(appDir, 'node_modules')).filter((name) => !name.startsWith('.'));
      expect(installed.sort()).toEqual([...LINKED, PACKAGE].sort());
      for (const absent of ['esbuild', 'tsx', 'soap', 'zod']) expect(existsSync(path.join(appDir, 'node_modules', absent)), absent).toBe(false);
    });
  });

  describe('a plain JavaScript app (app.mjs) run by cdk synth', () => {
    it('should synthesize and bundle nothing', () => {
      expect(jsSynth.code, jsSynth.output).toBe(0);
      expect(jsSynth.output).not.toContain('Bundling asset');
      expect(readdirSync(path.join(appDir, 'cdk.out.js')).filter((entry) => entry.startsWith('bundling-temp'))).toEqual([]);
    });

    it('should deploy every function of the catalog from the bundle inside the package', () => {
      const out = path.join(appDir, 'cdk.out.js');
      const template = JSON.parse(readFileSync(path.join(out, 'ShopPayments.template.json'), 'utf8')) as Template;
      const functions = functionsOf(template);
      expect([...functions.keys()].sort()).toEqual([...EXPECTED_FUNCTIONS].sort());
      for (const [name, properties] of functions) {
        expect(properties.Handler, name).toBe('index.handler');
        const asset = path.join(out, `asset.${String(properties.Code.S3Key).replace(/\.zip$/, '')}`);
        const shipped = path.join(appDir, 'node_modules', PACKAGE, 'dist', 'assets', name);
        expect(readdirSync(asset).sort(), name).toEqual(readdirSync(shipped).sort());
        expect(readFileSync(path.join(asset, 'index.mjs')).equals(readFileSync(path.join(shipped, 'index.mjs'))), name).toBe(true);
      }
    });

    it('should leave the outputs to the app', () => {
      const template = JSON.parse(readFileSync(path.join(appDir, 'cdk.out.js', 'ShopPayments.template.json'), 'utf8')) as Template;
      expect(Object.keys(template.Outputs ?? {})).toEqual([]);
    });
  });

  describe('a TypeScript app compiled by its own tsc', () => {
    it('should compile with module and moduleResolution NodeNext, the package types checked', () => {
      expect(tsCompile.code, tsCompile.output).toBe(0);
    });

    it('should synthesize every function of the catalog without bundling, with the props it passed', () => {
      expect(tsSynth.code, tsSynth.output).toBe(0);
      expect(tsSynth.output).not.toContain('Bundling asset');
      const template = JSON.parse(readFileSync(path.join(appDir, 'cdk.out.ts', 'ShopPayments.template.json'), 'utf8')) as Template;
      const functions = functionsOf(template);
      expect([...functions.keys()].sort()).toEqual([...ALL_FUNCTIONS].sort());
      expect(functions.get('seqrNotification')!.MemorySize).toBe(1024);
      expect(functions.get('getInvoice')!.Environment.Variables.LOG_LEVEL).toBe('warn');
      expect(Object.keys(template.Outputs ?? {}).sort()).toEqual(['HttpApiUrl', 'ShopApiKeySecretArn']);
    });

    it('should type-check with moduleResolution bundler too', () => {
      expect(bundlerCheck.code, bundlerCheck.output).toBe(0);
    });
  });

  describe('a CommonJS consumer', () => {
    it('should get the construct from require() (Node.js ≥ 20.19 loads the ES module)', () => {
      expect(commonJs.code, commonJs.output).toBe(0);
      expect(commonJs.output.trim().split('\n').at(-1)).toBe('function');
    });
  });
});
