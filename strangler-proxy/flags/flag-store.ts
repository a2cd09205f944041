import type { FlagState } from './flag-mapping.ts';

/**
 * Where flag changes are written: the local flag file (embedded flag source) or a real
 * Unleash through its Admin API. The proxy never reads flags through this: it reads them
 * through unleash-client polling, the same path in both cases.
 */
export interface FlagStore {
  readonly kind: 'local-file' | 'unleash-admin';
  get(flag: string): Promise<FlagState>;
  set(flag: string, state: FlagState): Promise<void>;
}
