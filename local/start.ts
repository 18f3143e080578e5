/**
 * `npm start`: the local stack on fixed ports, data kept in .data/.
 * Ports and the public base URL come from the environment.
 */
import { DEFAULT_DATA_PATH, LOCAL_RESELLER, LOCAL_TERMINAL, startLocalStack } from './stack.js';

function port(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number`);
  return value;
}

const stack = await startLocalStack({
  httpPort: port('HTTP_PORT', 3000),
  websocketPort: port('WEBSOCKET_PORT', 3001),
  simulatorPort: port('SEQR_SIMULATOR_PORT', 8089),
  dynamoDbPort: port('DYNAMODB_PORT', 8000),
  host: process.env.HOST ?? '127.0.0.1',
  dataPath: process.env.DATA_PATH ?? DEFAULT_DATA_PATH,
  // Every event is printed; with SHOP_WEBHOOK_URL set it is also POSTed there, signed (SHOP_WEBHOOK_SECRET).
  printEvents: true,
  ...(process.env.PUBLIC_BASE_URL ? { publicBaseUrl: process.env.PUBLIC_BASE_URL } : {}),
  // The watch and payment timeout run as deployed (WATCH_INTERVAL_MS, PAYMENT_TIMEOUT_MS tune them); LOCAL_WATCH=off turns them off.
  watch: process.env.LOCAL_WATCH !== 'off',
  // The simulator's own variables (as for `npm run simulator`) set the credentials on both sides.
  terminal: {
    terminalId: process.env.SEQR_SIMULATOR_TERMINAL_ID ?? LOCAL_TERMINAL.terminalId,
    password: process.env.SEQR_SIMULATOR_TERMINAL_PASSWORD ?? LOCAL_TERMINAL.password,
  },
  reseller: {
    resellerId: process.env.SEQR_SIMULATOR_RESELLER_ID ?? LOCAL_RESELLER.resellerId,
    userId: process.env.SEQR_SIMULATOR_RESELLER_USER_ID ?? LOCAL_RESELLER.userId,
    password: process.env.SEQR_SIMULATOR_RESELLER_PASSWORD ?? LOCAL_RESELLER.password,
  },
});

process.stdout.write(
  [
    '',
    'SEQR webshop payments: local stack',
    `  HTTP API        ${stack.httpUrl}`,
    `  WebSocket       ${stack.websocketUrl}`,
    `  SEQR simulator  ${stack.simulator.baseUrl}  (SOAP: ${stack.simulator.soapUrl})`,
    `  Sample shop     ${stack.httpUrl}/shop`,
    `  Invoice watch   ${stack.queues ? `${stack.queues.url} (local SQS; every ${process.env.WATCH_INTERVAL_MS ?? 5000} ms, payment timeout ${process.env.PAYMENT_TIMEOUT_MS ?? 600000} ms)` : 'off (LOCAL_WATCH=off)'}`,
    `  Shop key        ${stack.shopApiKey}  (local only: Authorization: Bearer ${stack.shopApiKey})`,
    `  Event bus       ${stack.bus.url}  (EventBridge PutEvents; each event printed below)`,
    `  Webhook         ${process.env.SHOP_WEBHOOK_URL ? `${process.env.SHOP_WEBHOOK_URL}  (signed with SHOP_WEBHOOK_SECRET${process.env.SHOP_WEBHOOK_SECRET ? '' : ', default local-webhook-secret'})` : 'off (set SHOP_WEBHOOK_URL to receive every event, signed)'}`,
    '  Ctrl-C stops everything.',
    '',
  ].join('\n') + '\n',
);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping…\n`);
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
