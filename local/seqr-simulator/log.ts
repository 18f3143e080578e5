/**
 * JSON log lines. Keys that may hold a secret are masked at any depth, so a
 * careless field (a whole SOAP context, say) cannot print a password.
 */
const SECRET_KEY = /pass(word)?|secret|token|authorization/i;

function scrub(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && item !== undefined ? '[redacted]' : scrub(item, depth + 1);
  }
  return out;
}

export type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export function jsonLog(sink: (line: string) => void): Log {
  return (level, message, fields = {}) => {
    const line = { level, time: new Date().toISOString(), component: 'seqr-simulator', message, ...(scrub(fields) as object) };
    try {
      sink(JSON.stringify(line));
    } catch {
      // A broken sink must not break the simulator.
    }
  };
}
