import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lib/net.ts';
import { endpointsFor } from '../up/endpoints.ts';
import { writeSupervisorState } from '../up/supervisor-state.ts';
import { formatStatus } from './status.ts';
import { alarmOf, collectStatus } from './status-probe.ts';

/**
 * What `strangler status` makes of a component that answers with an alarm, and of a restart
 * a running npm start reports: real HTTP servers on free ports stand in for the components.
 */
describe('status: alarms and restarts', () => {
  let server: http.Server;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/status')
        res.end(
          JSON.stringify({
            state: 'halted',
            alarm: { message: 'column loc has type point, which this connector does not encode' },
          }),
        );
      else res.end(JSON.stringify({ status: 'ok' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = String((server.address() as AddressInfo).port);
    const dataDir = path.join(os.tmpdir(), `strangler-status-${process.pid}`);
    env = {
      CONNECTOR_PORT: port,
      CATALOG_PORT: port,
      MONOLITH_PORT: port,
      PROXY_PORT: String(await freePort()),
      ORDERS_PORT: String(await freePort()),
      PROXY_ADMIN_PORT: String(await freePort()),
      BROKER_PORT: String(await freePort()),
      STRANGLER_DATA_DIR: dataDir,
    };
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await fs.rm(env.STRANGLER_DATA_DIR!, { recursive: true, force: true });
  });

  it('reads an alarm from a health document', () => {
    expect(alarmOf({ status: 'ok' })).toBeUndefined();
    expect(alarmOf({ alarm: null })).toBeUndefined();
    expect(alarmOf({ alarm: 'lagging' })).toBe('lagging');
    expect(alarmOf({ alarm: { message: 'halted on column loc' } })).toBe('halted on column loc');
  });

  it('shows a component that is up with an alarm, and a restart in progress with its cause', async () => {
    const urls = endpointsFor(env);
    await writeSupervisorState(urls.supervisorStateFile, {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      components: [
        {
          name: 'orders',
          state: 'restarting',
          port: Number(env.ORDERS_PORT),
          restarts: 2,
          attempt: 3,
          nextStartAt: Date.now() + 3500,
          cause: 'exited with code 1: orders failed to start: connect ECONNREFUSED',
        },
        {
          name: 'catalog',
          state: 'running',
          port: Number(env.CATALOG_PORT),
          restarts: 1,
          cause: 'killed by SIGKILL',
        },
      ],
    });
    const s = await collectStatus(urls);
    const connector = s.components.find((c) => c.name === 'connector')!;
    expect(connector.up).toBe(true);
    expect(connector.alarm).toBe('column loc has type point, which this connector does not encode');
    const orders = s.components.find((c) => c.name === 'orders')!;
    expect(orders.up).toBe(false);
    expect(orders.detail).toMatch(
      /^restarting \(attempt 3, next in [34] s\): exited with code 1: orders failed to start: connect ECONNREFUSED$/,
    );
    expect(s.components.find((c) => c.name === 'catalog')!.detail).toBe(
      'ok (restarted 1×, last: killed by SIGKILL)',
    );
    const text = formatStatus(s);
    expect(text).toContain(
      `! connector (${urls.connector}) ALARM: column loc has type point, which this connector does not encode`,
    );
    expect(text).toContain(
      `! orders (${urls.orders}) is restarting (attempt 3, next in 4 s): exited with code 1: `,
    );
    expect(text).toMatch(/^connector +up .*halted; ALARM: column loc has type point/m);
  });

  it('leaves an external connector (CDC_CONNECTOR=external) out rather than report it down', async () => {
    // nothing answers on the connector port: the embedded connector would be down
    const base = { ...env, CONNECTOR_PORT: String(await freePort()) };
    const embedded = await collectStatus(endpointsFor(base));
    expect(embedded.components.find((c) => c.name === 'connector')?.up).toBe(false);
    expect(embedded.problems.join('\n')).toMatch(/^connector \(.+\) is down$/m);
    const external = await collectStatus(endpointsFor({ ...base, CDC_CONNECTOR: 'external' }));
    expect(external.components.map((c) => c.name)).not.toContain('connector');
    expect(external.components.find((c) => c.name === 'catalog')?.up).toBe(true);
    expect(external.problems.join('\n')).not.toMatch(/connector/);
  });
});
