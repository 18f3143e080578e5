/**
 * What the construct deploys for closing the books: the period routes' function
 * may start exactly the transaction-period function and read the periods
 * table; the transaction-period function reaches the periods and invoices
 * tables and their indexes; alarms fire on pending reports and on differences.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionName } from '../../src/catalog.js';
import { synthesizeApp, type Synthesized } from './synth.js';
import {
  PERIOD_WORK_FAILED_MESSAGE,
  RECONCILIATION_DIFFERENCE_MESSAGE,
  RECONCILIATION_FAILED_MESSAGE,
  REPORT_PENDING_MESSAGE,
  REPORT_UNREADABLE_MESSAGE,
} from '../../src/core/periods/messages.js';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
type Resource = { Type: string; Properties: Record<string, any> };

let synth: Synthesized;
beforeAll(() => {
  synth = synthesizeApp({});
});

function statementsOf(name: FunctionName): Statement[] {
  const roleId = synth.logicalId(synth.stack.payments.functions[name]!.role!);
  const policies = synth.template.findResources('AWS::IAM::Policy') as Record<string, Resource>;
  return Object.values(policies)
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resources = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
const functionId = (name: FunctionName) => synth.logicalId(synth.stack.payments.functions[name]!);
const variables = (name: FunctionName) =>
  (synth.template.toJSON().Resources[functionId(name)] as Resource).Properties.Environment.Variables as Record<string, unknown>;

describe('When the stack is synthesized', () => {
  it('should let the period routes’ function invoke the transaction-period function and nothing else', () => {
    const invoke = statementsOf('transactionPeriods').filter((s) => actions(s).some((a) => a.startsWith('lambda:')));
    expect(invoke).toHaveLength(1);
    expect(actions(invoke[0]!)).toEqual(['lambda:InvokeFunction']);
    // The function's ARN only: no `:*` qualifier wildcard.
    expect(resources(invoke[0]!)).toEqual([{ 'Fn::GetAtt': [functionId('transactionPeriod'), 'Arn'] }]);
    expect(variables('transactionPeriods').TRANSACTION_PERIOD_FUNCTION_NAME).toEqual({ Ref: functionId('transactionPeriod') });
  });

  it('should let no other function invoke a function', () => {
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      if (name === 'transactionPeriods' || !synth.stack.payments.functions[name]) continue;
      expect(statementsOf(name).filter((s) => actions(s).some((a) => a.startsWith('lambda:'))), name).toEqual([]);
      expect(variables(name), name).not.toHaveProperty('TRANSACTION_PERIOD_FUNCTION_NAME');
    }
  });

  it('should give the period routes the periods table and the shop key, and no SEQR secret', () => {
    const periodsTable = synth.logicalId(synth.stack.payments.tables.periods!);
    const dynamo = statementsOf('transactionPeriods').filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(JSON.stringify(dynamo)).toContain(periodsTable);
    expect(JSON.stringify(dynamo)).not.toContain(synth.logicalId(synth.stack.payments.tables.invoices!));
    const env = variables('transactionPeriods');
    expect(env).toHaveProperty('SHOP_API_KEY_SECRET_ARN');
    expect(env).not.toHaveProperty('SEQR_CREDENTIALS_SECRET_ARN');
    expect(env).not.toHaveProperty('SEQR_RESELLER_SECRET_ARN');
  });

  it('should let the transaction-period function use both tables and the indexes that find a period’s invoices and periods', () => {
    const dynamo = statementsOf('transactionPeriod').filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    const reached = JSON.stringify(dynamo.flatMap(resources));
    for (const index of ['byTransactionPeriod', 'bySlot', 'byTransactionPeriodId']) expect(reached).toContain(`/index/${index}`);
    for (const table of ['periods', 'invoices'] as const) expect(reached).toContain(synth.logicalId(synth.stack.payments.tables[table]!));
    for (const s of dynamo) expect(actions(s)).not.toContain('dynamodb:Scan');
  });

  it('should index invoices by transaction period and paid time, and periods by slot and by SEQR’s id', () => {
    const table = (name: 'invoices' | 'periods') => synth.template.toJSON().Resources[synth.logicalId(synth.stack.payments.tables[name]!)] as Resource;
    expect(table('invoices').Properties.GlobalSecondaryIndexes).toContainEqual(
      expect.objectContaining({
        IndexName: 'byTransactionPeriod',
        KeySchema: [
          { AttributeName: 'transactionPeriod', KeyType: 'HASH' },
          { AttributeName: 'paidAt', KeyType: 'RANGE' },
        ],
      }),
    );
    expect(table('periods').Properties.GlobalSecondaryIndexes.map((i: { IndexName: string }) => i.IndexName)).toEqual(['byTransactionPeriodId', 'bySlot']);
  });

  it('should count pending reports and reconciliation differences from the function’s JSON lines, and alarm on one', () => {
    const logGroup = { Ref: synth.logicalId(synth.stack.payments.logGroups.transactionPeriod!) };
    const pattern = (...messages: string[]) => `{ ${messages.map((m) => `($.message = "${m}")`).join(' || ')} }`;
    synth.template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: logGroup,
      FilterPattern: pattern(REPORT_PENDING_MESSAGE, REPORT_UNREADABLE_MESSAGE, PERIOD_WORK_FAILED_MESSAGE),
      MetricTransformations: [{ MetricNamespace: 'SeqrWebshopPayments', MetricName: 'TransactionPeriodReportsPending', MetricValue: '1' }],
    });
    synth.template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: logGroup,
      FilterPattern: pattern(RECONCILIATION_DIFFERENCE_MESSAGE, RECONCILIATION_FAILED_MESSAGE),
      MetricTransformations: [{ MetricNamespace: 'SeqrWebshopPayments', MetricName: 'ReconciliationDifferences', MetricValue: '1' }],
    });
    for (const metric of ['TransactionPeriodReportsPending', 'ReconciliationDifferences']) {
      synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'SeqrWebshopPayments',
        MetricName: metric,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });
});

describe('When a shop names its own reports', () => {
  it('should pass them to the transaction-period function only', () => {
    const custom = synthesizeApp({}, { transactionPeriodReports: ['Reconciliation/STD_RECON_003.xml', 'Reconciliation/STD_RECON_004.xml'] });
    const env = (name: FunctionName) =>
      (custom.template.toJSON().Resources[custom.logicalId(custom.stack.payments.functions[name]!)] as Resource).Properties.Environment.Variables;
    expect(env('transactionPeriod').TRANSACTION_PERIOD_REPORT_IDS).toBe('Reconciliation/STD_RECON_003.xml,Reconciliation/STD_RECON_004.xml');
    expect(env('transactionPeriods')).not.toHaveProperty('TRANSACTION_PERIOD_REPORT_IDS');
    // Unset, the function's own default holds (Shop.xml and STD_RECON_003.xml).
    expect(variables('transactionPeriod')).not.toHaveProperty('TRANSACTION_PERIOD_REPORT_IDS');
  });
});
