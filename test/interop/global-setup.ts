import type { TestProject } from 'vitest/node';
import { ensureInteropJars } from '../../scripts/interop/jars.ts';
import { ensureInteropMariaDb } from '../../scripts/interop/mariadb.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    interopMysqlUrl: string;
  }
}

/**
 * Java, Maven and the jars first: a machine without them fails here, naming what is missing
 * (never a skip). Then the suite's own private MariaDB (scripts/interop/mariadb.ts says why its
 * version string reads 5.7.19-MariaDB).
 */
export default async function setup(project: TestProject) {
  const started = Date.now();
  const jars = await ensureInteropJars();
  console.log(
    `interop: ${jars.java.version}; jars ${jars.resolved ? `resolved by Maven in ${jars.resolveMs} ms` : 'current'} (${Date.now() - started} ms)`,
  );
  const server = await ensureInteropMariaDb();
  project.provide('interopMysqlUrl', server.url);
  // The same server for the helpers of the main suite (test/support/database.ts, the e2e system
  // fixture) that the interop tests reuse to run the toolkit beside a real peer.
  project.provide('mysqlUrl', server.url);
}
