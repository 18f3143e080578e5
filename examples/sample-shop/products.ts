/** The sample shop's shelf. Prices are exact decimal strings. */
export interface Product {
  sku: string;
  name: string;
  unitPrice: string;
  taxRate: string;
}

export const SHOP_CURRENCY = 'SEK';

export const PRODUCTS: readonly Product[] = [
  { sku: 'coffee-beans', name: 'Coffee beans, 500 g', unitPrice: '89.00', taxRate: '12' },
  { sku: 'mug', name: 'SEQR mug', unitPrice: '129.50', taxRate: '25' },
  { sku: 'cinnamon-bun', name: 'Cinnamon bun', unitPrice: '25.00', taxRate: '12' },
];

export function productBySku(sku: string): Product | undefined {
  return PRODUCTS.find((product) => product.sku === sku);
}
