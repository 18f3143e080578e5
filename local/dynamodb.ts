/**
 * DynamoDB on dynalite, in process: in memory for tests, on disk for `npm start`
 * (so a restart loses nothing). Tables come from the same schemas CDK deploys.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { TableName } from '../src/catalog.js';
import { TABLE_SCHEMAS, type TableSchema } from '../src/adapters/dynamodb/schema.js';
import { close, listen } from './listen.js';

export interface RunningDynamoDb {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startDynamoDb(options: { port: number; host?: string; path?: string }): Promise<RunningDynamoDb> {
  if (options.path) mkdirSync(options.path, { recursive: true });
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
  const port = await listen(server, options.port, options.host);
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => close(server) };
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
