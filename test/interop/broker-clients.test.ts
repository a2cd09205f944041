import { afterAll, beforeAll, describe } from 'vitest';
import { type KafkaCluster, startKafka } from '../../scripts/interop/kafka.ts';
import { clientSuite } from '../broker/client-suite.ts';

/**
 * The broker client suite (test/broker/client-suite.ts) against a real single-node Apache
 * Kafka 4: the same test bodies the toolkit's broker passes in test/broker/clients.test.ts.
 */
describe('client suite: Apache Kafka (one KRaft node)', () => {
  let kafka: KafkaCluster;
  beforeAll(async () => {
    kafka = await startKafka({ nodes: 1 });
  });
  afterAll(async () => {
    await kafka?.stop();
  });
  clientSuite(() => ({ bootstrap: kafka.brokers[0]!, port: kafka.nodes[0]!.port }));
});
