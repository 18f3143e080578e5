/**
 * Builds the browser payment view into one self-contained script (IIFE,
 * ES2020). The local stack and the CDK bundling call `buildPaymentView`;
 * `tsx web/build.ts [outfile] [--no-minify]` writes dist/web/payment-view.js
 * (or outfile).
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

export interface BuildPaymentViewOptions {
  /** Where to write the script. */
  outfile: string;
  /** Minify (default true). */
  minify?: boolean;
}

export const PAYMENT_VIEW_ENTRY = fileURLToPath(new URL('./payment-view/main.ts', import.meta.url));

const RULE = '//---------------------------------------------------------------------\n';

/**
 * Parts of qrcode-generator 2.x the view never calls (image/table/ASCII/canvas
 * output, the GIF encoder, Kanji mode): cut from the bundle, about a third of
 * its size. Each cut is [from, to, replacement]; if the library's text no
 * longer matches, it is bundled whole.
 */
const QRCODE_CUTS: ReadonlyArray<readonly [string, string, string]> = [
  ['  _this.createTableTag = function', '\n  return _this;\n};\n', ''],
  [RULE + '// qrcode.createStringToBytes', RULE + '// QRMode', ''],
  ['const qrKanji = function(data) {', '//=====', "const qrKanji = function() {\n  throw new Error('Kanji mode is not bundled');\n};\n\n"],
  ['//=====================================================================\n// GIF Support etc.', 'export default qrcode;', ''],
];

export function trimQrcodeGenerator(source: string): string | undefined {
  let out = '';
  let at = 0;
  for (const [from, to, replacement] of QRCODE_CUTS) {
    const start = source.indexOf(from, at);
    if (start < 0) return undefined;
    const end = source.indexOf(to, start + from.length);
    if (end < 0) return undefined;
    out += source.slice(at, start) + replacement;
    at = end;
  }
  return out + source.slice(at);
}

/** esbuild plugin applying `trimQrcodeGenerator` to qrcode-generator's ES module. */
export const trimQrcodePlugin: Plugin = {
  name: 'trim-qrcode-generator',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /qrcode-generator[\\/]dist[\\/]qrcode\.mjs$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const trimmed = trimQrcodeGenerator(source);
      if (trimmed === undefined) {
        return { contents: source, loader: 'js', warnings: [{ text: 'qrcode-generator changed: bundled untrimmed' }] };
      }
      return { contents: trimmed, loader: 'js' };
    });
  },
};

export async function buildPaymentView(options: BuildPaymentViewOptions): Promise<{ bytes: number }> {
  await build({
    entryPoints: [PAYMENT_VIEW_ENTRY],
    outfile: options.outfile,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: options.minify ?? true,
    legalComments: 'none',
    banner: { js: '/* SEQR payment view. qrcode-generator (c) Kazuhiko Arase, MIT. */' },
    plugins: [trimQrcodePlugin],
    logLevel: 'warning',
  });
  const { size } = await stat(options.outfile);
  return { bytes: size };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  // `tsx web/build.ts [outfile] [--no-minify]`; the default outfile is dist/web/payment-view.js.
  const args = process.argv.slice(2);
  const given = args.find((arg) => !arg.startsWith('--'));
  const outfile = given ? resolve(given) : fileURLToPath(new URL('../dist/web/payment-view.js', import.meta.url));
  const { bytes } = await buildPaymentView({ outfile, minify: !args.includes('--no-minify') });
  console.log(`${outfile}: ${bytes} bytes`);
}
