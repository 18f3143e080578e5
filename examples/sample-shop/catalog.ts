/**
 * The sample shop's own catalog: its function, its routes and its sessions
 * table. The product (src/catalog.ts) knows nothing of it; the example's
 * construct (./infra.ts) deploys it beside a SeqrWebshopPayments, and the
 * local stack serves it next to the product's routes.
 */
import type { FunctionSpec } from '../../src/catalog.js';
import type { TableSchema } from '../../src/adapters/dynamodb/schema.js';

/** The environment variable naming the sessions table. */
export const SESSIONS_TABLE_ENV = 'SESSIONS_TABLE';

/** A cart and the invoice it was checked out as, one item per session. */
export const SESSIONS_TABLE_SCHEMA: TableSchema = { partitionKey: 'sessionId', indexes: [] };

/** Its one function: it creates invoices through the payment core, so it speaks SOAP and pushes like the product's. */
export const SAMPLE_SHOP_FUNCTION = {
  entry: 'examples/sample-shop/handler.ts',
  seqr: true,
  tables: ['invoices', 'connections'],
  push: true,
  publishes: true,
  sends: ['watch'],
  timeoutSeconds: 25,
} as const satisfies FunctionSpec;

export const SAMPLE_SHOP_ROUTES = [
  { method: 'GET', path: '/shop' },
  { method: 'POST', path: '/shop/additem' },
  { method: 'POST', path: '/shop/checkout' },
  { method: 'GET', path: '/shop/checkout' },
  { method: 'GET', path: '/shop/done' },
] as const satisfies readonly { method: 'GET' | 'POST'; path: string }[];
