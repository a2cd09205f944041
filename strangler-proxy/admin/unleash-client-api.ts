import express, { type Router } from 'express';
import type { Logger } from '../../lib/log.ts';
import type { LocalFlagFile } from '../flags/local-flag-file.ts';

/**
 * The embedded flag source: the three endpoints of Unleash's client API that unleash-client
 * calls, served from the local flag file. ETag/If-None-Match as Unleash does, so a 1 s poll
 * costs a 304 when nothing changed. Registration and metrics are accepted and kept for the
 * admin view (last registration per instance, toggle counts from the last report).
 */
export function unleashClientApi(flags: LocalFlagFile, log: Logger) {
  const router: Router = express.Router();
  const registrations = new Map<string, { appName: string; at: string }>();
  let lastMetrics: unknown;

  router.get('/client/features', async (req, res) => {
    try {
      const snap = await flags.snapshot();
      res.setHeader('etag', snap.etag);
      if (req.headers['if-none-match'] === snap.etag) {
        res.status(304).end();
        return;
      }
      res.type('application/json').send(snap.body);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'flag file unreadable; clients keep their last flags');
      res.status(500).json({
        error: {
          code: (err as { code?: string }).code ?? 'PROXY_ERR_FLAG_FILE_INVALID',
          message: (err as Error).message,
        },
      });
    }
  });
  router.post('/client/register', express.json({ limit: '64kb' }), (req, res) => {
    const body = (req.body ?? {}) as { appName?: string; instanceId?: string };
    registrations.set(String(body.instanceId ?? req.ip), {
      appName: String(body.appName ?? ''),
      at: new Date().toISOString(),
    });
    res.status(202).end();
  });
  router.post('/client/metrics', express.json({ limit: '1mb' }), (req, res) => {
    lastMetrics = req.body;
    res.status(202).end();
  });
  return { router, view: () => ({ registrations: Object.fromEntries(registrations), lastMetrics }) };
}
