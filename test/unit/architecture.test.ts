// Intent: the layout is the architecture. The core speaks no AWS, no SOAP and
// no HTTP; the environment is read in one place. A new file that breaks either
// rule fails here, naming the file.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ts$/.test(entry.name))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

/** Every module specifier a file imports, statically or dynamically. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

describe('the payment core', () => {
  const core = sources('src/core');
  it('should have files to check', () => {
    expect(core.length).toBeGreaterThan(10);
  });
  it('should import neither the AWS SDK, nor soap, nor any adapter (the HTTP error type included)', () => {
    const offending = core.flatMap((file) =>
      importsOf(file)
        .filter((spec) => spec.startsWith('@aws-sdk/') || spec === 'soap' || spec.startsWith('soap/') || spec.includes('/adapters/') || spec.includes('aws-lambda'))
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });
});

describe('configuration', () => {
  it('should be read from the environment by src/config.ts alone', () => {
    const files = [...sources('src'), ...sources('examples')].filter((file) => file !== path.join('src', 'config.ts'));
    const offending = files.filter((file) => /process\.env\b/.test(readFileSync(path.join(ROOT, file), 'utf8')));
    expect(offending).toEqual([]);
  });
});
