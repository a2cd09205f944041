/** A broker's host and port, from KAFKA_BROKERS or from Metadata. */
export interface BrokerAddress {
  host: string;
  port: number;
}

export const addressText = (a: BrokerAddress) => `${a.host}:${a.port}`;

/** `host:port` (KAFKA_BROKERS entries; the config checks the shape). */
export function parseAddress(text: string): BrokerAddress {
  const at = text.lastIndexOf(':');
  return { host: text.slice(0, at), port: Number(text.slice(at + 1)) };
}
