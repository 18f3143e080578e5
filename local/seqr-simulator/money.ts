/**
 * Exact decimal money. SEQR amounts are xs:decimal on the wire; a float sum of
 * 0.10 + 0.20 is not 0.30, so every amount here is an integer count of units at
 * a decimal scale (BigInt), and sums align scales instead of rounding.
 */
export interface Money {
  /** The amount times 10^scale. */
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/** Parses an xs:decimal lexical value; undefined when it is not one. */
export function parseMoney(text: string): Money | undefined {
  const match = DECIMAL.exec(text.trim());
  if (!match) return undefined;
  const [, sign = '', whole = '0', fraction = ''] = match;
  const units = BigInt(whole + fraction);
  return { units: sign === '-' ? -units : units, scale: fraction.length };
}

function rescale(amount: Money, scale: number): bigint {
  return amount.units * 10n ** BigInt(scale - amount.scale);
}

export function addMoney(a: Money, b: Money): Money {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export function sumMoney(amounts: Iterable<Money>): Money {
  let total: Money = ZERO;
  for (const amount of amounts) total = addMoney(total, amount);
  return total;
}

/** -1, 0 or 1, comparing values (so 0.3 equals 0.30). */
export function compareMoney(a: Money, b: Money): number {
  const scale = Math.max(a.scale, b.scale);
  const diff = rescale(a, scale) - rescale(b, scale);
  return diff === 0n ? 0 : diff < 0n ? -1 : 1;
}

export const ZERO: Money = { units: 0n, scale: 0 };

/** Plain decimal text with at least two decimals (SEQR's `#.##` style), never exponent notation. */
export function formatMoney(amount: Money, minScale = 2): string {
  const scale = Math.max(amount.scale, minScale);
  const units = rescale(amount, scale);
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? '.' + fraction : ''}`;
}
