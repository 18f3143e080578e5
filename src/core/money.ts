/**
 * Exact money: decimal strings in, integer minor units (BigInt) inside, decimal
 * strings out. Binary floats never touch an amount.
 * Currencies and their minor-unit digits come from the runtime's ICU data
 * (ISO 4217), so no hand-kept table goes stale.
 */
const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));
const DECIMAL = /^(\d{1,12})(?:\.(\d{1,6}))?$/;

export function isKnownCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}

/** Digits after the decimal point for a currency: 2 for SEK, 0 for JPY. */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** A non-negative decimal as an integer scaled by 10^scale, or undefined when it has more digits than scale allows. */
export function toScaled(decimal: string, scale: number): bigint | undefined {
  const match = DECIMAL.exec(decimal);
  if (!match) return undefined;
  const [, whole, fraction = ''] = match;
  if (fraction.replace(/0+$/, '').length > scale) return undefined;
  return BigInt(whole + fraction.padEnd(scale, '0'));
}

export function isDecimalString(value: string): boolean {
  return DECIMAL.test(value);
}

/** Minor units back to a decimal string with the currency's digits: 5000n SEK → "50.00". */
export function formatMinor(minor: bigint, digits: number): string {
  const negative = minor < 0n;
  const text = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  const result = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return negative ? `-${result}` : result;
}

export class InexactAmountError extends Error {}

/**
 * quantity × unit price in minor units. The product must land on a whole minor
 * unit: an invoice whose rows cannot be totalled exactly is refused, not rounded.
 */
export function lineTotalMinor(quantity: string, unitPrice: string, digits: number): bigint {
  const quantityScale = 6;
  const q = toScaled(quantity, quantityScale);
  const p = toScaled(unitPrice, digits);
  if (q === undefined || p === undefined) throw new InexactAmountError('not a decimal');
  const product = q * p;
  const divisor = 10n ** BigInt(quantityScale);
  if (product % divisor !== 0n) throw new InexactAmountError('line total is not a whole minor unit');
  return product / divisor;
}
