import type { SeededRandom } from './random.ts';

/**
 * The vocabulary the seed builds products from. Some words carry accents, CJK or emoji on
 * purpose: a legacy shop's data is never plain ASCII, and CDC and the extracted services must
 * carry utf8mb4 through unchanged.
 */
export interface CategorySpec {
  slug: string;
  code: string;
  nouns: readonly string[];
  /** Price range in cents. */
  price: readonly [number, number];
  attributes(rng: SeededRandom): Record<string, unknown>;
}

const colors = ['black', 'white', 'navy', 'red', 'forest green', 'sand', 'grey', 'crème', 'bordeaux'];
const sizes = ['XS', 'S', 'M', 'L', 'XL', 'XXL'];
const brands = [
  'Nordlicht',
  'Açaí & Co',
  'Kōbō',
  'Brightline',
  'Møller',
  'Zephyr',
  'Ōtsuka',
  'Fjällräv',
  'Acme',
];

export const adjectives = [
  'Classic',
  'Compact',
  'Deluxe',
  'Eco',
  'Everyday',
  'Pro',
  'Smart',
  'Vintage',
  'Ultra',
  'Handmade',
  'Premium',
  'Travel',
  'Crème',
  'Élégant',
  'Nordic',
  'Sunny ☀️',
  'Cozy',
  'Rapid',
  'Silent',
  'Über',
] as const;

export const categories: readonly CategorySpec[] = [
  {
    slug: 'electronics',
    code: 'ELE',
    nouns: [
      'Headphones 🎧',
      'USB-C Charger',
      'Bluetooth Speaker',
      'E-Reader',
      'Webcam',
      'Power Bank',
      'Smartwatch ⌚',
    ],
    price: [999, 49_999],
    attributes: (rng) => ({
      brand: rng.pick(brands),
      color: rng.pick(colors),
      warrantyMonths: rng.pick([12, 24, 36]),
      wireless: rng.chance(0.6),
    }),
  },
  {
    slug: 'books',
    code: 'BOO',
    nouns: ['Cookbook', 'Novel', 'Atlas', 'Field Guide', 'Poetry Collection', 'Manga 漫画', 'Bilderbuch'],
    price: [499, 5_999],
    attributes: (rng) => ({
      pages: rng.int(64, 900),
      language: rng.pick(['en', 'de', 'fr', 'es', 'ja']),
      hardcover: rng.chance(0.35),
    }),
  },
  {
    slug: 'home-kitchen',
    code: 'HOM',
    nouns: [
      'Coffee Mug ☕',
      'Cast Iron Pan',
      'Knife Set',
      'Teapot',
      'Cutting Board',
      'Crêpe Maker',
      'Espresso Cup',
    ],
    price: [399, 24_999],
    attributes: (rng) => ({
      material: rng.pick(['stainless steel', 'ceramic', 'oak', 'cast iron', 'glass', 'bamboo']),
      dishwasherSafe: rng.chance(0.7),
      color: rng.pick(colors),
    }),
  },
  {
    slug: 'clothing',
    code: 'CLO',
    nouns: ['T-Shirt', 'Hoodie', 'Rain Jacket', 'Wool Socks', 'Jeans', 'Schal', 'Beanie 🧢'],
    price: [799, 19_999],
    attributes: (rng) => ({
      size: rng.pick(sizes),
      color: rng.pick(colors),
      material: rng.pick(['cotton', 'merino', 'linen', 'recycled polyester']),
      tags: rng.chance(0.3) ? ['organic'] : [],
    }),
  },
  {
    slug: 'sports',
    code: 'SPO',
    nouns: [
      'Yoga Mat',
      'Running Shoes 👟',
      'Water Bottle',
      'Bike Light',
      'Tennis Racket',
      'Kettlebell',
      'Piñata Ball',
    ],
    price: [599, 29_999],
    attributes: (rng) => ({
      weightGrams: rng.int(50, 16_000),
      color: rng.pick(colors),
      level: rng.pick(['beginner', 'intermediate', 'advanced']),
    }),
  },
  {
    slug: 'toys',
    code: 'TOY',
    nouns: [
      'Puzzle',
      'Building Blocks',
      'Plush Bear 🧸',
      'Kite',
      'Board Game',
      'Rubber Duck 🦆',
      'Marionette',
    ],
    price: [299, 8_999],
    attributes: (rng) => ({
      minAge: rng.pick([0, 3, 6, 8, 12]),
      pieces: rng.int(1, 2000),
      batteries: rng.chance(0.2),
    }),
  },
  {
    slug: 'beauty',
    code: 'BEA',
    nouns: [
      'Face Cream',
      'Shampoo',
      'Lip Balm',
      'Eau de Toilette',
      'Bath Salts',
      'Hair Brush',
      'Soap Bar 🧼',
    ],
    price: [249, 12_999],
    attributes: (rng) => ({ volumeMl: rng.pick([15, 50, 100, 250, 500]), vegan: rng.chance(0.5) }),
  },
  {
    slug: 'garden',
    code: 'GAR',
    nouns: ['Watering Can', 'Seed Kit 🌱', 'Pruning Shears', 'Hose Reel', 'Planter', 'Bird House', 'Gnome'],
    price: [349, 15_999],
    attributes: (rng) => ({ outdoor: true, material: rng.pick(['zinc', 'terracotta', 'plastic', 'cedar']) }),
  },
  {
    slug: 'grocery',
    code: 'GRO',
    nouns: [
      'Olive Oil',
      'Matcha 抹茶',
      'Dark Chocolate 🍫',
      'Coffee Beans',
      'Honey',
      'Pasta',
      'Jalapeño Sauce',
    ],
    price: [149, 3_999],
    attributes: (rng) => ({
      weightGrams: rng.pick([100, 250, 500, 1000]),
      organic: rng.chance(0.4),
      origin: rng.pick(['Italia', 'España', 'Japan', 'Côte d’Ivoire', 'Colombia', 'México']),
    }),
  },
  {
    slug: 'office',
    code: 'OFF',
    nouns: [
      'Notebook',
      'Fountain Pen',
      'Desk Lamp',
      'Stapler',
      'Monitor Stand',
      'Sticky Notes',
      'Büroklammern',
    ],
    price: [199, 18_999],
    attributes: (rng) => ({ color: rng.pick(colors), pack: rng.pick([1, 3, 5, 10]) }),
  },
];

const descriptionOpeners = [
  'A reliable favourite for daily use.',
  'Designed in Europe, made to last.',
  'Our best seller — now in more colours.',
  'Small, light and surprisingly sturdy.',
  'Loved by customers for years ❤️.',
  'Fair-trade sourced; naïve design, serious quality.',
];

export function describe(rng: SeededRandom, noun: string): string | null {
  if (rng.chance(0.1)) return null;
  return `${rng.pick(descriptionOpeners)} This ${noun.toLowerCase()} ships within ${rng.int(1, 5)} days.`;
}

export const firstNames = [
  'Anna',
  'Ben',
  'Chloé',
  'David',
  'Élodie',
  'Fatima',
  'Gustav',
  'Hana',
  'Ingrid',
  'José',
  'Kai',
  'Léa',
  'Mateo',
  'Nina',
  'Oğuz',
  'Paula',
  'Quentin',
  'Rūta',
  'Søren',
  'Tomás',
  'Uma',
  'Václav',
  'Wen',
  'Zoë',
  'Łukasz',
  'Maëlle',
  'Björn',
  'Aiko',
  'Noor',
  'Sam',
] as const;

export const lastNames = [
  'Müller',
  'García',
  'Smith',
  'Nakamura',
  'Dubois',
  'Kowalski',
  'Rossi',
  'Jensen',
  'O’Brien',
  'Novák',
  'Yılmaz',
  'Schröder',
  'Silva',
  'Chen',
  'Andersson',
  'Núñez',
  'Papadopoulos',
  'Lefèvre',
  'Kim',
  'Brown',
] as const;
