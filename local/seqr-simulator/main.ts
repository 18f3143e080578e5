/**
 * `npm run simulator`: the SEQR simulator as a process, configured by
 * SEQR_SIMULATOR_* environment variables (see README.md). Logs are JSON lines.
 */
import { DEFAULT_RESELLER, DEFAULT_TERMINAL, type SimulatorOptions } from './options.js';
import { startSeqrSimulator } from './simulator.js';

function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function numberEnv(name: string): number | undefined {
  const value = env(name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative number, got "${value}"`);
  return parsed;
}

function oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
  const value = env(name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

const write = (line: string) => process.stdout.write(line + '\n');

async function main(): Promise<void> {
  const options: SimulatorOptions = {
    port: numberEnv('SEQR_SIMULATOR_PORT') ?? 8089,
    host: env('SEQR_SIMULATOR_HOST') ?? '127.0.0.1',
    confirmationWindowMs: numberEnv('SEQR_SIMULATOR_CONFIRMATION_WINDOW_MS'),
    reversalStatus: oneOf('SEQR_SIMULATOR_REVERSAL_STATUS', ['CANCELED', 'FAILED'] as const),
    notificationBody: oneOf('SEQR_SIMULATOR_NOTIFICATION_BODY', ['empty', 'form'] as const),
    reportNotReadyMs: numberEnv('SEQR_SIMULATOR_REPORT_NOT_READY_MS'),
    terminals: [
      {
        terminalId: env('SEQR_SIMULATOR_TERMINAL_ID') ?? DEFAULT_TERMINAL.terminalId,
        password: env('SEQR_SIMULATOR_TERMINAL_PASSWORD') ?? DEFAULT_TERMINAL.password,
      },
    ],
    reseller: {
      resellerId: env('SEQR_SIMULATOR_RESELLER_ID') ?? DEFAULT_RESELLER.resellerId,
      userId: env('SEQR_SIMULATOR_RESELLER_USER_ID') ?? DEFAULT_RESELLER.userId,
      password: env('SEQR_SIMULATOR_RESELLER_PASSWORD') ?? DEFAULT_RESELLER.password,
    },
    log: write,
  };
  const simulator = await startSeqrSimulator(options);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    write(JSON.stringify({ level: 'info', time: new Date().toISOString(), component: 'seqr-simulator', message: 'shutting down', signal }));
    simulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  write(
    JSON.stringify({
      level: 'error',
      time: new Date().toISOString(),
      component: 'seqr-simulator',
      message: 'simulator failed to start',
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  process.exit(1);
});
