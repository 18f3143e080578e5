/** Plain-text tables for the bench's output (and the README, which carries one run verbatim). */
export function table(title: string, header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((row) => row.map((cell) => (typeof cell === 'number' ? formatNumber(cell) : cell)));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)));
  // Figures right-aligned, text left: a column is figures when every cell is a number or '-'.
  const numeric = header.map((_, i) => i > 0 && rows.every((row) => typeof row[i] === 'number' || row[i] === '-' || /^[-+]?[\d.,]+( ?(ms|%|s))?$/.test(String(row[i] ?? ''))));
  const line = (row: readonly string[]) => row.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [title, line(header), ...cells.map(line), ''].join('\n');
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(1) : value.toFixed(2);
}

/** Dollars with four significant digits: per-payment figures are fractions of a cent. */
export function usd(value: number): string {
  if (value === 0) return '0';
  return `$${value.toPrecision(4).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')}`;
}
