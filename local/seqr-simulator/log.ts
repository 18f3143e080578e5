import { scrubSecrets as scrub } from '../../src/log.js';

/**
 * JSON log lines. Keys that may hold a secret are masked at any depth, so a
 * careless field (a whole SOAP context, say) cannot print a password.
 */
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
