import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUnleashServer, startUnleash, type UnleashServer } from '../../scripts/interop/unleash.ts';
import { type RunningSystem, startSystem } from '../../scripts/up/system.ts';
import { type IsolatedEnv, isolatedSystemEnv } from '../e2e/system-fixture.ts';
import { rehearseProductsToCutover } from './support.ts';

/**
 * `strangler rehearse products` with the toolkit's flags in a real Unleash: the whole system as
 * npm start runs it (broker, monolith, connector, catalog, orders, proxy), its proxy reading
 * flags from unleash-server with a client token, and every shift of the rehearsal going through
 * the proxy's admin API to Unleash's Admin API with the admin token. The flag does not exist in
 * Unleash before the run; afterwards Unleash holds the cutover.
 */
const flag = 'strangler.products';
let unleash: UnleashServer;
let isolated: IsolatedEnv;
let system: RunningSystem;

beforeAll(async () => {
  unleash = await startUnleash({ install: await ensureUnleashServer() });
  isolated = await isolatedSystemEnv('unleash', {
    UNLEASH_URL: unleash.apiUrl,
    UNLEASH_API_TOKEN: unleash.clientToken,
    UNLEASH_ADMIN_TOKEN: unleash.adminToken,
    UNLEASH_REFRESH_MS: '500',
  });
  system = await startSystem({ env: isolated.env, seedScale: 0.05 });
});

afterAll(async () => {
  await system?.stop();
  await isolated?.cleanup();
  await unleash?.stop();
});

async function adminFeature(): Promise<Response> {
  return fetch(`${unleash.origin}/api/admin/projects/default/features/${flag}`, {
    headers: { authorization: unleash.adminToken },
  });
}

describe('strangler rehearse against a real Unleash', () => {
  it('walks products to cutover, each shift through Unleash', async () => {
    const before = await adminFeature();
    await before.text();
    expect(before.status).toBe(404);
    await rehearseProductsToCutover(system.env, `${isolated.dataDir}/reports`);
    const after = (await (await adminFeature()).json()) as {
      environments: {
        name: string;
        enabled: boolean;
        strategies: { name: string; parameters: Record<string, string>; variants: { name: string }[] }[];
      }[];
    };
    const env = after.environments.find((e) => e.name === 'development')!;
    expect(env.enabled).toBe(true);
    expect(env.strategies).toHaveLength(1);
    expect(env.strategies[0]).toMatchObject({
      name: 'flexibleRollout',
      parameters: { rollout: '100' },
      variants: [{ name: 'new' }],
    });
  }, 420_000);
});
