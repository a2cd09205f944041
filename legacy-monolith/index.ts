/** What other components embed: the schema runner, the seed, and (server.ts) the monolith itself. */

export { loadMonolithConfig, type MonolithConfig } from './config.ts';
export { createApp } from './http/app.ts';
export { migrateLatest, migrateRollback, shopMigrations, shopTables } from './migrations/index.ts';
export { defaultSeedSize, generateShop, type SeedSize } from './seed/generate.ts';
export { isShopEmpty, type SeedOptions, type SeedResult, seedShop } from './seed/seed-shop.ts';
export { type MonolithOptions, type RunningMonolith, startMonolith } from './server.ts';
