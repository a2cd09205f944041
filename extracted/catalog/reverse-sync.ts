import { reverseSyncMain } from '../../cdc/reverse-sync/index.ts';
import { envValue } from '../../lib/config.ts';
import { catalogReverseMapping } from './entry-points/catalog-reverse-mapping.ts';

/**
 * `npm run catalog:reverse`: the catalog's reverse applier (docs/reverse-sync.md), a process of
 * its own. Its store is the catalog's database (CATALOG_DB, as the service reads it); its topics
 * are the store connector's (`catalog-store` unless REVERSE_TOPIC_PREFIX says otherwise).
 */
reverseSyncMain(catalogReverseMapping, {
  topicPrefix: 'catalog-store',
  storeDatabase: envValue('CATALOG_DB') ?? 'catalog',
});
