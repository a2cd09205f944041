import path from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/log.ts';
import type { RouteTable } from '../routes/route-table.ts';
import { CaptureWriter } from './capture.ts';
import { CompareEngine, type EngineRoute } from './compare-engine.ts';
import { ComparisonStore } from './comparison-store.ts';
import { registerCompareMetrics } from './metrics.ts';
import { defaultRedaction, type RedactionRules } from './redact.ts';
import { WorkerExecutor } from './worker-executor.ts';

export interface CompareHookSettings {
  dataDir: string;
  concurrency: number;
  queueLimit: number;
  noiseSampleRate: number;
  noiseWarmup: number;
  lagWaitMs: number;
  maxRecords: number;
  /** The legacy database's server, for its binlog position (lag classification). */
  legacyMysqlUrl?: string;
  captureFile?: string;
  captureSampleRate: number;
  redactFields: string[];
}

/**
 * Builds the comparison engine the proxy plugs in as its shadow hook: the store under
 * `<dataDir>/compare`, metrics on the proxy's registry, rules and bake periods read from
 * the live route table (so a hot reload changes them too).
 */
export async function createCompareHook(options: {
  settings: CompareHookSettings;
  table: () => RouteTable;
  registry: Registry;
  log: Logger;
}) {
  const { settings } = options;
  const store = await new ComparisonStore({
    dir: path.join(settings.dataDir, 'compare'),
    maxRecords: settings.maxRecords,
  }).open();
  registerCompareMetrics(options.registry, store);
  // The comparisons themselves run in a worker thread: the noise model, the HTTP client for
  // the other side and the legacy-position pool live there.
  const executor = new WorkerExecutor(
    () => ({
      noiseSampleRate: settings.noiseSampleRate,
      noiseWarmup: settings.noiseWarmup,
      noiseState: store.noiseState(),
      legacyMysqlUrl: settings.legacyMysqlUrl,
      lagWaitMs: settings.lagWaitMs,
      concurrency: settings.concurrency,
    }),
    options.log,
  );
  const capture = settings.captureFile
    ? await new CaptureWriter({ file: settings.captureFile, sampleRate: settings.captureSampleRate }).open()
    : undefined;
  const redaction: RedactionRules = {
    ...defaultRedaction,
    fields: [...defaultRedaction.fields, ...settings.redactFields],
  };

  // When each route was first seen in mode `new`: its bake period runs from there.
  const newSince = new Map<string, number>();
  const engine = new CompareEngine({
    routes: (routeId): EngineRoute | undefined => {
      const route = options.table().routes.find((r) => r.id === routeId);
      if (!route) return undefined;
      return {
        rules: route.compareRules,
        writeRules: route.writeCompareRules,
        legacy: route.legacy,
        new: route.upstreamNew,
        methods: route.shadowMethods,
        bakeUntil: (newSince.get(routeId) ?? Date.now()) + route.bakePeriodMs,
      };
    },
    executor,
    store,
    redaction,
    capture,
    // The worker runs `concurrency` comparisons at once and queues the rest (a limit on this
    // thread would count jobs waiting in a batch as running); the engine bounds what is
    // outstanding, running plus queued, and sheds and counts beyond it.
    concurrency: settings.concurrency + settings.queueLimit,
    queueLimit: 0,
    log: options.log,
  });

  const hook = {
    modes: engine.modes,
    onExchange(exchange: Parameters<CompareEngine['onExchange']>[0]) {
      if (exchange.mode === 'new') {
        if (!newSince.has(exchange.routeId)) newSince.set(exchange.routeId, Date.now());
      } else newSince.delete(exchange.routeId);
      engine.onExchange(exchange);
    },
    async close() {
      await engine.close();
      await store.close();
      await capture?.close();
    },
  };
  return { hook, engine, store };
}
