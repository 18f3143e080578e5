/**
 * DynamoDB on dynalite, in process: in memory for tests, on disk for `npm start`
 * (so a restart loses nothing). Tables come from the same schemas CDK deploys.
 */
import { mkdirSync } from 'node:fs';
import http, { type Server } from 'node:http';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { TableName } from '../src/catalog.js';
import { TABLE_SCHEMAS, type TableSchema } from '../src/adapters/dynamodb/schema.js';
import { close, listen } from './listen.js';

export interface RunningDynamoDb {
  endpoint: string;
  /** Whether the endpoint takes connections now. */
  readonly running: boolean;
  /**
   * Stops the endpoint: open connections are cut and new ones refused. With a
   * data folder dynalite itself is closed (its files flushed and unlocked);
   * in memory only the listener stops, so the data stays. Stopping twice is a no-op.
   */
  stop(): Promise<void>;
  /** Starts it again on the same port and the same data (tests of a store that was briefly down). */
  start(): Promise<void>;
}

export async function startDynamoDb(options: { port: number; host?: string; path?: string }): Promise<RunningDynamoDb> {
  if (options.path) mkdirSync(options.path, { recursive: true });
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
  const port = await listen(server, options.port, options.host);
  let running = true;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get running() {
      return running;
    },
    stop: async () => {
      if (!running) return;
      running = false;
      // dynalite's own close() also closes its database; in memory that would lose the data,
      // so there only the HTTP listener is closed (http.Server's close, under dynalite's).
      if (options.path) return close(server);
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        http.Server.prototype.close.call(server, () => resolve());
      });
    },
    start: async () => {
      if (running) return;
      // dynalite reopens its database on listen after its close (same folder, same data).
      await listen(server, port, options.host);
      running = true;
    },
  };
}

export function tableInput(name: string, table: TableName | TableSchema): CreateTableCommandInput {
  const schema = typeof table === 'string' ? TABLE_SCHEMAS[table] : table;
  const attributes = new Set([
    schema.partitionKey,
    ...(schema.sortKey ? [schema.sortKey] : []),
    ...schema.indexes.flatMap((i) => [i.partitionKey, ...(i.sortKey ? [i.sortKey] : [])]),
  ]);
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: schema.partitionKey, KeyType: 'HASH' },
      ...(schema.sortKey ? [{ AttributeName: schema.sortKey, KeyType: 'RANGE' as const }] : []),
    ],
    ...(schema.indexes.length
      ? {
          GlobalSecondaryIndexes: schema.indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
              ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' as const }] : []),
            ],
            Projection: index.include ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.include] } : { ProjectionType: 'KEYS_ONLY' as const },
          })),
        }
      : {}),
  };
}

/**
 * Creates each table unless it is there already (a restart on the same data):
 * the product's by their names, and any others (an example's) from their own schemas.
 */
export async function createTables(endpoint: string, names: Record<TableName, string>, others: Record<string, TableSchema> = {}): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const tables: [string, TableSchema][] = [
    ...(Object.entries(names) as [TableName, string][]).map(([table, name]): [string, TableSchema] => [name, TABLE_SCHEMAS[table]]),
    ...Object.entries(others),
  ];
  for (const [name, schema] of tables) {
    try {
      await client.send(new CreateTableCommand(tableInput(name, schema)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
      // dynalite cannot add an index to a table: data kept from before an index existed needs a fresh start.
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
      const missing = schema.indexes.filter((index) => !present.has(index.name)).map((index) => index.name);
      if (missing.length > 0) {
        process.stderr.write(`local DynamoDB: table ${name} lacks the index(es) ${missing.join(', ')}; it was made by an older version. Delete the data folder (.data/) to recreate it.\n`);
      }
    }
  }
  client.destroy();
}
