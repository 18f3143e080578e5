/** The simulator's options and their defaults. */
export interface SimulatorOptions {
  /** 0 = any free port (default). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** How long a PAID payment waits for a PAID getPaymentStatus before SEQR reverses it; default 20000. */
  confirmationWindowMs?: number;
  /** What a reversed payment becomes; default 'CANCELED'. */
  reversalStatus?: 'CANCELED' | 'FAILED';
  /** Notification POST body: 'empty' (default) or 'form' (`invoiceReference=<ref>`). */
  notificationBody?: 'empty' | 'form';
  /** How long after markTransactionPeriod executeReport answers 2 REPORT_NOT_READY; default 3000. */
  reportNotReadyMs?: number;
  /** Webshop terminals (TERMINALID principals); default one: local-webshop / local-password. */
  terminals?: { terminalId: string; password: string; name?: string; refunds?: 'allowed' | 'resellerNotAllowed' | 'receiverNotAllowed' }[];
  /** The reseller user (RESELLERUSER principal); default local-reseller / 9900 / local-password. */
  reseller?: { resellerId: string; userId: string; password: string };
  /** Receives one JSON object per line; default: silent. Passwords never reach it. */
  log?: (line: string) => void;
  /** How long one notification POST may take before it counts as failed; default 5000. */
  notificationTimeoutMs?: number;
}

export interface TerminalAccount {
  terminalId: string;
  password: string;
  name: string;
  /** refundPayment: allowed, or answered 97 / 99 (see REFUND_POLICIES in state.ts). */
  refunds: 'allowed' | 'resellerNotAllowed' | 'receiverNotAllowed';
}

export interface ResolvedOptions {
  port: number;
  host: string;
  confirmationWindowMs: number;
  reversalStatus: 'CANCELED' | 'FAILED';
  notificationBody: 'empty' | 'form';
  reportNotReadyMs: number;
  terminals: TerminalAccount[];
  reseller: { resellerId: string; userId: string; password: string };
  log: (line: string) => void;
  notificationTimeoutMs: number;
}

export const DEFAULT_TERMINAL = { terminalId: 'local-webshop', password: 'local-password' } as const;
export const DEFAULT_RESELLER = { resellerId: 'local-reseller', userId: '9900', password: 'local-password' } as const;

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}

export function resolveOptions(options: SimulatorOptions = {}): ResolvedOptions {
  const terminals = (options.terminals ?? [DEFAULT_TERMINAL]).map((t) => ({
    terminalId: t.terminalId,
    password: t.password,
    name: ('name' in t && t.name) || `Simulated shop ${t.terminalId}`,
    refunds: ('refunds' in t && t.refunds) || 'allowed',
  }));
  for (const t of terminals) {
    if (!['allowed', 'resellerNotAllowed', 'receiverNotAllowed'].includes(t.refunds)) throw new RangeError('refunds must be allowed, resellerNotAllowed or receiverNotAllowed');
  }
  if (terminals.length === 0) throw new RangeError('at least one terminal is needed');
  if (options.reversalStatus && !['CANCELED', 'FAILED'].includes(options.reversalStatus)) {
    throw new RangeError('reversalStatus must be CANCELED or FAILED');
  }
  if (options.notificationBody && !['empty', 'form'].includes(options.notificationBody)) {
    throw new RangeError('notificationBody must be empty or form');
  }
  return {
    port: nonNegative('port', options.port, 0),
    host: options.host ?? '127.0.0.1',
    confirmationWindowMs: nonNegative('confirmationWindowMs', options.confirmationWindowMs, 20_000),
    reversalStatus: options.reversalStatus ?? 'CANCELED',
    notificationBody: options.notificationBody ?? 'empty',
    reportNotReadyMs: nonNegative('reportNotReadyMs', options.reportNotReadyMs, 3_000),
    terminals,
    reseller: { ...(options.reseller ?? DEFAULT_RESELLER) },
    log: options.log ?? (() => {}),
    notificationTimeoutMs: nonNegative('notificationTimeoutMs', options.notificationTimeoutMs, 5_000),
  };
}
