import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors.ts';
import { cdcConnectorMode, components, serviceTopics } from './components.ts';
import { startSystem } from './system.ts';

const names = (env: NodeJS.ProcessEnv) => components(env).map((c) => c.name);

describe('what npm start runs: embedded or external Kafka and connector', () => {
  it('runs the embedded broker and connector by default', () => {
    expect(names({})).toEqual([
      'broker',
      'monolith',
      'connector',
      'catalog',
      'catalog-store-connector',
      'catalog-reverse',
      'orders',
      'writers',
      'proxy',
    ]);
    expect(cdcConnectorMode({ CDC_CONNECTOR: 'embedded' })).toBe('embedded');
  });

  it('KAFKA_BROKERS: no broker; CDC_CONNECTOR=external as well: no connector either', () => {
    expect(names({ KAFKA_BROKERS: 'k1:9092' })).toEqual([
      'monolith',
      'connector',
      'catalog',
      'catalog-store-connector',
      'catalog-reverse',
      'orders',
      'writers',
      'proxy',
    ]);
    // the catalog's store connector feeds reverse sync: ours whatever captures legacy
    expect(names({ KAFKA_BROKERS: 'k1:9092,k2:9092', CDC_CONNECTOR: 'external' })).toEqual([
      'monolith',
      'catalog',
      'catalog-store-connector',
      'catalog-reverse',
      'orders',
      'writers',
      'proxy',
    ]);
  });

  it('refuses an unknown CDC_CONNECTOR, naming the variable and the values it takes', () => {
    const err = (() => {
      try {
        components({ CDC_CONNECTOR: 'debezium', KAFKA_BROKERS: 'k1:9092' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_ERR_INVALID');
    expect((err as ConfigError).message).toMatch(/CDC_CONNECTOR="debezium".*"embedded".*"external"/s);
  });

  it('refuses an external connector without KAFKA_BROKERS: the embedded broker cannot host Kafka Connect', () => {
    expect(() => cdcConnectorMode({ CDC_CONNECTOR: 'external' })).toThrow(
      /CDC_CONNECTOR="external"\): needs KAFKA_BROKERS/,
    );
    expect(() => cdcConnectorMode({ CDC_CONNECTOR: 'external', KAFKA_BROKERS: '' })).toThrow(ConfigError);
  });

  it('npm start stops on a bad CDC_CONNECTOR before it starts anything, the database included', async () => {
    const log: string[] = [];
    await expect(
      startSystem({ env: { CDC_CONNECTOR: 'external' }, log: (l) => log.push(l) }),
    ).rejects.toThrow(/CDC_CONNECTOR="external"\): needs KAFKA_BROKERS/);
    expect(log).toEqual([]);
  });

  it('names the topics the services read, as they compute them', () => {
    expect(serviceTopics({})).toBe('legacy.shop.<table>');
    expect(serviceTopics({ CDC_TOPIC_PREFIX: 'dbz', SHOP_DB: 'shop_eu' })).toBe('dbz.shop_eu.<table>');
    expect(() => serviceTopics({ CDC_TOPIC_PREFIX: 'a b' })).toThrow(/CDC_TOPIC_PREFIX="a b"/);
  });
});
