/** Kafka API keys the broker knows by number (the numbers are Kafka's). */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  /** The connector's client only (SASL listeners of a real Kafka); the broker has no SASL. */
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  SaslAuthenticate: 36,
} as const;

export type ApiName = keyof typeof ApiKey;

export const apiNames: Record<number, ApiName> = Object.fromEntries(
  Object.entries(ApiKey).map(([name, key]) => [key, name as ApiName]),
);
