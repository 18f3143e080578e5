// Intent: the local SQS endpoint is what the real @aws-sdk/client-sqs talks to,
// as SQS: SendMessage and SendMessageBatch with DelaySeconds are delivered to
// the queue's consumer (the watch handler) as SQS events, no sooner than the
// delay and in batches; what SQS refuses is refused with SQS's error names.
import { SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeInvocations } from '../../local/handlers.js';
import { eventually, startTestStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack & { logs: string[] };
let client: SQSClient;
beforeAll(async () => {
  stack = await startTestStack({ watch: true });
  client = new SQSClient({ endpoint: stack.queues!.url, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}, 60_000);
afterAll(async () => {
  client?.destroy();
  await stack?.stop();
});

/** When the watch handler logged that it found no such invoice, for this reference. */
const goneAt = (ref: string) => {
  const line = stack.logs.find((l) => l.includes('invoice watch: no such invoice') && l.includes(ref));
  return line ? Date.parse((JSON.parse(line) as { time: string }).time) : undefined;
};

describe('the local SQS endpoint', () => {
  it('should deliver a message to the watch handler after its DelaySeconds, not before', async () => {
    const ref = '1000000000000101';
    const sentAt = Date.now();
    const sent = await client.send(
      new SendMessageCommand({ QueueUrl: stack.queues!.queueUrl('watch'), MessageBody: JSON.stringify({ invoiceReference: ref, deadline: sentAt + 60_000 }), DelaySeconds: 2 }),
    );
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(stack.queues!.pending('watch')).toBe(1);
    const at = await eventually(async () => goneAt(ref), 6_000, 50);
    expect(at).toBeDefined();
    expect(at! - sentAt).toBeGreaterThanOrEqual(2_000);
    expect(at! - sentAt).toBeLessThan(3_500);
    expect(await eventually(async () => stack.queues!.pending('watch') === 0, 2_000)).toBe(true);
  });

  it('should deliver a batch sent at once in one invocation', async () => {
    const refs = ['1000000000000201', '1000000000000202', '1000000000000203'];
    const deadline = Date.now() + 60_000;
    let invocations = 0;
    const stop = observeInvocations({ onEnd: (invocation) => void (invocation.fn === 'invoiceWatch' && invocations++) });
    const result = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.queues!.queueUrl('watch'),
        Entries: refs.map((ref, i) => ({ Id: `m${i}`, MessageBody: JSON.stringify({ invoiceReference: ref, deadline }), DelaySeconds: 1 })),
      }),
    );
    expect(result.Successful?.map((s) => s.Id)).toEqual(['m0', 'm1', 'm2']);
    await eventually(async () => refs.every((ref) => goneAt(ref) !== undefined), 5_000, 50);
    for (const ref of refs) expect(goneAt(ref), ref).toBeDefined();
    await eventually(async () => invocations > 0, 2_000);
    stop();
    expect(invocations).toBe(1);
  });

  it('should drop a body that is not a watch message, saying so', async () => {
    await client.send(new SendMessageCommand({ QueueUrl: stack.queues!.queueUrl('watch'), MessageBody: 'hello', DelaySeconds: 0 }));
    expect(await eventually(async () => stack.logs.some((l) => l.includes('not a watch message; dropped')), 3_000)).toBe(true);
    expect(await eventually(async () => stack.queues!.pending('watch') === 0, 2_000)).toBe(true);
    expect(stack.queues!.deadLetters()).toEqual([]);
  });

  it('should refuse a delay over 900 s, an empty body and an unknown queue as SQS does', async () => {
    const url = stack.queues!.queueUrl('watch');
    await expect(client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{}', DelaySeconds: 901 }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '' }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(client.send(new SendMessageCommand({ QueueUrl: url.replace(/watch$/, 'nope'), MessageBody: '{}' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 400 },
    });
    expect(stack.queues!.pending()).toBe(0);
  });
});
