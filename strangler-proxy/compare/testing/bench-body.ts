/** The comparison benchmark's body: a product-like JSON document of about 2 KiB. */
export function benchBody(id: string | number): Record<string, unknown> {
  return {
    id: Number(id) || 0,
    sku: `SKU-${id}`,
    name: 'A product with a reasonably long name for a realistic body',
    price: '19.90',
    currency: 'EUR',
    stock: 42,
    tags: ['garden', 'tools', 'outdoor', 'steel'],
    attributes: Array.from({ length: 12 }, (_, i) => ({
      key: `attribute-${i}`,
      value: `value number ${i} of this product`,
      unit: i % 2 ? 'cm' : 'kg',
    })),
    description: 'x'.repeat(934), // the body comes to 2 KiB
  };
}
