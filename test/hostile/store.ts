/**
 * What the hostile suites assert "nothing was written" and "SEQR was never
 * called" against: every table of the local stack's dynalite, scanned with
 * @aws-sdk/client-dynamodb, and the simulator's call log (GET /simulator/calls).
 */
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { LocalStack } from '../support/local-stack.js';

export const TABLES = ['seqr-invoices', 'seqr-connections', 'seqr-periods', 'seqr-sessions', 'seqr-idempotency'] as const;

export interface StoreSnapshot {
  /** Table name → its items, each as canonical JSON, sorted. */
  tables: Record<string, string[]>;
}

function canonical(item: Record<string, AttributeValue>): string {
  return JSON.stringify(Object.keys(item).sort().map((key) => [key, item[key]]));
}

export class StoreWatch {
  private readonly client: DynamoDBClient;

  constructor(private readonly stack: LocalStack) {
    this.client = new DynamoDBClient({ endpoint: stack.dynamoDbEndpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  }

  async snapshot(): Promise<StoreSnapshot> {
    const tables: Record<string, string[]> = {};
    await Promise.all(
      TABLES.map(async (table) => {
        const items: string[] = [];
        let start: Record<string, AttributeValue> | undefined;
        do {
          const page = await this.client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
          for (const item of page.Items ?? []) items.push(canonical(item));
          start = page.LastEvaluatedKey;
        } while (start);
        tables[table] = items.sort();
      }),
    );
    return { tables };
  }

  /** The SEQR calls logged by the simulator since the last `clearCalls`. */
  async calls(): Promise<{ operation: string; invoiceReference?: string }[]> {
    const response = await fetch(`${this.stack.simulator.baseUrl}/simulator/calls`);
    return ((await response.json()) as { calls: { operation: string; invoiceReference?: string }[] }).calls;
  }

  async clearCalls(): Promise<void> {
    await (await fetch(`${this.stack.simulator.baseUrl}/simulator/calls`, { method: 'DELETE' })).arrayBuffer();
  }

  close(): void {
    this.client.destroy();
  }
}

/** The tables whose items differ between two snapshots, with what was added and removed. */
export function storeChanges(before: StoreSnapshot, after: StoreSnapshot): Record<string, { added: string[]; removed: string[] }> {
  const changes: Record<string, { added: string[]; removed: string[] }> = {};
  for (const table of TABLES) {
    const was = new Set(before.tables[table] ?? []);
    const now = new Set(after.tables[table] ?? []);
    const added = [...now].filter((item) => !was.has(item));
    const removed = [...was].filter((item) => !now.has(item));
    if (added.length || removed.length) changes[table] = { added, removed };
  }
  return changes;
}
