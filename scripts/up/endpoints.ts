import path from 'node:path';
import { envValue } from '../../lib/config.ts';
import { dataRoot } from '../../lib/database/data-root.ts';
import { type PortName, portOf } from './components.ts';
import { supervisorStateFile } from './supervisor-state.ts';

/** Where each part of a running toolkit answers, from the same env names npm start uses. */
export interface Endpoints {
  proxy: string;
  admin: string;
  legacy: string;
  catalog: string;
  orders: string;
  connector: string;
  /** CDC_CONNECTOR=external: no cdc/connector here; a connector run elsewhere publishes the topics. */
  externalConnector: boolean;
  /** The writer map (who writes which legacy table). */
  writers: string;
  /** The connector capturing the catalog's store, and the reverse applier (docs/reverse-sync.md). */
  storeConnector: string;
  reverseSync: string;
  brokers: string;
  /** The proxy admin bearer token's file (unless PROXY_ADMIN_TOKEN is set). */
  adminTokenFile: string;
  adminToken: string | undefined;
  /** Where a running npm start keeps its supervision state (restarts in progress and their causes). */
  supervisorStateFile: string;
}

export function endpointsFor(env: NodeJS.ProcessEnv = process.env): Endpoints {
  const local = (name: PortName) => `http://127.0.0.1:${portOf(env, name)}`;
  const dataDir = envValue('STRANGLER_DATA_DIR', env) ?? dataRoot();
  return {
    proxy: local('PROXY_PORT'),
    admin: local('PROXY_ADMIN_PORT'),
    legacy: local('MONOLITH_PORT'),
    catalog: local('CATALOG_PORT'),
    orders: local('ORDERS_PORT'),
    connector: local('CONNECTOR_PORT'),
    externalConnector: envValue('CDC_CONNECTOR', env) === 'external',
    writers: envValue('WRITERS_URL', env) ?? local('WRITERS_PORT'),
    storeConnector: local('STORE_CONNECTOR_PORT'),
    reverseSync: local('REVERSE_PORT'),
    brokers: envValue('KAFKA_BROKERS', env) ?? `127.0.0.1:${portOf(env, 'BROKER_PORT')}`,
    adminTokenFile: path.join(dataDir, 'proxy-admin.token'),
    adminToken: envValue('PROXY_ADMIN_TOKEN', env),
    supervisorStateFile: supervisorStateFile(dataDir, portOf(env, 'PROXY_PORT')),
  };
}
