/**
 * Structured JSON logs, one object a line, as CloudWatch Logs Insights reads them.
 * A logger carries context (the invoice reference above all) onto every line.
 * Keys that can hold a secret are masked whatever their depth, so a careless
 * call cannot leak a password or a token.
 */
import { config } from './config.js';

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|apikey|shopkey/i;
/**
 * A field named for an invoice reference carries something shaped like one (SEQR's are digits; up to
 * 32 letters or digits pass) or a note of its length: a token (43 characters, `-` and `_` among them)
 * pasted where a reference goes is not logged.
 */
const REFERENCE_KEY = /invoiceReference$/i;
const REFERENCE_SHAPE = /^[A-Za-z0-9]{1,32}$/;

export type LogFields = Record<string, unknown>;

function threshold(): number {
  return LEVELS[config.logLevel as Level] ?? LEVELS.info;
}

/** A copy of `value` with every secret-looking key masked, at any depth. */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, ...(scrubSecrets({ ...value }, depth + 1) as object) };
  }
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (Array.isArray(value)) return value.map((item) => scrubSecrets(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_KEY.test(key) && item !== undefined) out[key] = '[redacted]';
    else if (REFERENCE_KEY.test(key) && typeof item === 'string' && !REFERENCE_SHAPE.test(item)) out[key] = `[not a reference: ${item.length} characters]`;
    else out[key] = scrubSecrets(item, depth + 1);
  }
  return out;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines also carry these fields. */
  with(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;
let sink: LogSink = (line) => process.stdout.write(line + '\n');

/** Where lines go (tests capture them; the local stack may silence them). */
export function setLogSink(next: LogSink): LogSink {
  const previous = sink;
  sink = next;
  return previous;
}

const taps = new Set<LogSink>();

/**
 * Also hands every line to `tap`, whatever the sink (the test suites' audit
 * of all captured lines for secrets); returns the function that removes it.
 */
export function addLogTap(tap: LogSink): () => void {
  taps.add(tap);
  return () => void taps.delete(tap);
}

export function createLogger(context: LogFields = {}): Logger {
  const write = (level: Level, message: string, fields?: LogFields) => {
    if (LEVELS[level] < threshold()) return;
    const instance = config.instance;
    const line = JSON.stringify({
      level,
      time: new Date().toISOString(),
      message,
      ...(instance ? { instance } : {}),
      ...(scrubSecrets({ ...context, ...fields }) as object),
    });
    sink(line);
    for (const tap of taps) tap(line);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    with: (fields) => createLogger({ ...context, ...fields }),
  };
}

export const log = createLogger({ service: 'seqr-webshop' });
