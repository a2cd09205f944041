import { afterAll, beforeAll, describe } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { clientSuite } from './client-suite.ts';

/** The shared client suite against the toolkit's broker (Apache Kafka: test/interop/broker-clients.test.ts). */
describe('client suite: the toolkit broker', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });
  clientSuite(() => ({ bootstrap: broker.brokers[0]!, port: broker.port }));
});
