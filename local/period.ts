/**
 * `npm run period [-- <slot or time>]`: closes one transaction period by hand
 * against the local stack (dynalite and the SEQR simulator started by `npm start`),
 * with the very handler the scheduled function runs: marks the period, fetches
 * its reports and reconciles them. Without a time, the current minute is the
 * slot; the same slot twice marks once. (`POST /transaction-periods` on the
 * local stack does the same through the local Lambda endpoint.)
 *
 * `npm start` picks a free DynamoDB port unless told: start it with
 * `npm start` (DynamoDB on port 8000 by default), or set DYNAMODB_ENDPOINT here.
 */
import { TABLE_ENV, type TableName } from '../src/catalog.js';
import { setLogSink } from '../src/log.js';
import { TransactionPeriodInProgressError } from '../src/core/periods/transaction-period.js';
import { handler } from '../src/handlers/schedule/transaction-period.js';

/** What `npm start` sets; an environment variable already set wins. */
const LOCAL_DEFAULTS: Record<string, string> = {
  AWS_REGION: 'local',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
  SEQR_ENDPOINT_URL: 'http://localhost:8089/extclientproxy/service/v2',
  SEQR_TERMINAL_ID: 'local-webshop',
  SEQR_TERMINAL_PASSWORD: 'local-password',
  SEQR_RESELLER_ID: 'local-reseller',
  SEQR_RESELLER_USER_ID: '9900',
  SEQR_RESELLER_PASSWORD: 'local-password',
  ...Object.fromEntries(Object.entries(TABLE_ENV).map(([table, env]) => [env, `seqr-${table as TableName}`])),
};

for (const [name, value] of Object.entries(LOCAL_DEFAULTS)) {
  if (!process.env[name]) process.env[name] = value;
}

// Log lines to stderr: stdout carries only the result, as JSON.
setLogSink((line) => process.stderr.write(line + '\n'));

const scheduledTime = process.argv[2];
try {
  const result = await handler(scheduledTime ? { scheduledTime } : {});
  console.log(JSON.stringify(result, null, 2));
} catch (error) {
  if (error instanceof TransactionPeriodInProgressError) {
    console.error(JSON.stringify({ outcome: 'in-progress', slot: error.slot, claimedAt: new Date(error.claimedAt).toISOString() }));
    process.exit(2);
  }
  console.error(JSON.stringify({ error: error instanceof Error ? { name: error.name, message: error.message } : String(error) }));
  console.error(
    `Is the local stack running? DynamoDB: ${process.env.DYNAMODB_ENDPOINT}, SEQR: ${process.env.SEQR_ENDPOINT_URL} (start it with npm start).`,
  );
  process.exitCode = 1;
}
