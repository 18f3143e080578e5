/** The OpenAPI file documents exactly the routes the catalog deploys. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '../../src/catalog.js';

const spec = readFileSync(path.resolve(import.meta.dirname, '..', '..', 'openapi.yaml'), 'utf8');

function documentedRoutes(): string[] {
  const routes: string[] = [];
  let current: string | undefined;
  for (const line of spec.split('\n')) {
    const pathLine = /^ {2}(\/\S*):\s*$/.exec(line);
    if (pathLine) current = pathLine[1];
    else if (/^\S/.test(line)) current = undefined;
    const method = /^ {4}(get|post|put|delete|patch):/.exec(line);
    if (current && method) routes.push(`${method[1]!.toUpperCase()} ${current}`);
  }
  return routes.sort();
}

describe('When the OpenAPI file is read', () => {
  it('should document every deployed HTTP route and no other', () => {
    expect(documentedRoutes()).toEqual(HTTP_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });
});
