import net from 'node:net';
import path from 'node:path';
import { createLogger, type Logger } from '../../../lib/log.ts';
import { apiTable } from '../apis/index.ts';
import type { BrokerContext } from '../broker-context.ts';
import type { BrokerConfig } from '../config.ts';
import { GroupCoordinator } from '../groups/group-coordinator.ts';
import { OffsetStore } from '../groups/offset-store.ts';
import { TopicStore } from '../log/topic-store.ts';
import { Connection } from './connection.ts';

/**
 * The broker process: loads every topic and committed offset (recovering torn tails) before it
 * listens, so no request ever sees half-loaded state; then accepts connections.
 */
export class BrokerServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private context?: BrokerContext;
  readonly log: Logger;

  constructor(readonly config: BrokerConfig) {
    this.log = createLogger('broker');
    this.server = net.createServer((socket) => this.accept(socket));
  }

  async start(): Promise<{ host: string; port: number }> {
    const { config, log } = this;
    const started = Date.now();
    const topics = new TopicStore({
      dataDir: config.dataDir,
      segmentBytes: config.segmentBytes,
      cacheBytes: config.cacheBytes,
      fsync: config.fsync,
      log,
    });
    const offsets = new OffsetStore(
      path.join(config.dataDir, 'groups'),
      topics.flusher,
      log,
      config.fsyncCommits,
    );
    const groups = new GroupCoordinator({
      minSessionTimeoutMs: config.minSessionTimeoutMs,
      maxSessionTimeoutMs: config.maxSessionTimeoutMs,
      log,
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(config.port, config.host, () => resolve());
    });
    const bound = this.server.address() as net.AddressInfo;
    const advertisedHost = config.advertisedHost ?? (config.host === '0.0.0.0' ? '127.0.0.1' : config.host);
    this.context = {
      config,
      topics,
      groups,
      offsets,
      log,
      nodeId: 0,
      advertisedHost,
      advertisedPort: config.advertisedPort ?? bound.port,
      apiTable: apiTable(),
    };
    // Always printed, whatever LOG_LEVEL says: supervisors and tests wait for this line.
    log.child({}, { level: 'info' }).info(
      {
        host: config.host,
        port: bound.port,
        pid: process.pid,
        advertised: `${advertisedHost}:${this.context.advertisedPort}`,
        dataDir: config.dataDir,
        topics: topics.list().length,
        loadMs: Date.now() - started,
      },
      'broker listening',
    );
    return { host: config.host, port: bound.port };
  }

  private accept(socket: net.Socket): void {
    if (!this.context) return void socket.destroy();
    const conn = new Connection(socket, this.context);
    this.connections.add(conn);
    socket.on('close', () => this.connections.delete(conn));
  }

  /** Graceful stop: no new connections, answer what is in flight, sync and close the files. */
  async stop(timeoutMs = 5000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.context?.groups.shutdown();
    await Promise.all([...this.connections].map((c) => c.shutdown(timeoutMs)));
    await closed;
    const ctx = this.context;
    if (!ctx) return;
    await ctx.topics.flusher.flush();
    ctx.offsets.close();
    ctx.topics.close();
    this.log.info('broker stopped');
  }
}
