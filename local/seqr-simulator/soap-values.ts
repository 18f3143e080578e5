/**
 * Reading node-soap's parsed request objects. Hand-written envelopes vary:
 * an element may be missing, empty (`<x/>` parses to `{}`), carry attributes
 * (then its text is under `$value`), or be a single item where a list is allowed.
 */
export function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object' && '$value' in value) return text((value as { $value: unknown }).$value);
  return undefined;
}

export function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** `<parameters><parameter><entry><key/><value/></entry>…</parameter></parameters>` as a plain map. */
export function parameterMap(value: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const entries = list(record(record(value)?.parameter)?.entry);
  for (const entry of entries) {
    const key = text(record(entry)?.key);
    const val = text(record(entry)?.value);
    if (key !== undefined) out.set(key, val ?? '');
  }
  return out;
}
