/** What the ports measure; the engine judges these against the thresholds. */

/** Route traffic over a window: load through the proxy (or straight to legacy in stage 0). */
export interface TrafficFigures {
  requests: number;
  /** 5xx and unanswered. */
  errors: number;
  p50: number;
  p99: number;
  /** Answers the proxy compared legacy vs new in the window, and how many really differed (noise and lag excluded). */
  compared: number;
  mismatches: number;
  /** Differences dismissed as noise by the comparison rules (timestamps, ordering ties...) or gone once the new side caught up (lag). */
  noise: number;
  /** Requests the new side failed and legacy served. */
  fallbacks: number;
  /** Compared answers (reads and dry-run writes) whose status differed from legacy's: errors for the gates. */
  statusDifferences: number;
  /** Requests served by each side, from the proxy's target header. */
  servedBy: Record<string, number>;
  /** Up to a few examples of differences, for the report. */
  examples: string[];
}

export interface ParityFigures {
  requests: number;
  /** Requests whose status or body differed between the proxy and legacy direct. */
  mismatches: number;
  errors: number;
  /** p99 through the proxy and direct, to show the proxy's overhead. */
  p99Proxy: number;
  p99Direct: number;
  examples: string[];
}

export interface TableCheck {
  table: string;
  legacyRows: number;
  serviceRows: number;
  /** Keys present on one side only, and keys whose row checksum differs. */
  missing: number;
  extra: number;
  different: number;
  examples: string[];
}

export interface BackfillFigures {
  tables: TableCheck[];
  /** The service's projection lag when the comparison ran (ms, from its health endpoint). */
  lagMs: number | null;
  waitedMs: number;
}

export interface ShadowFigures {
  requests: number;
  compared: number;
  mismatches: number;
  noise: number;
  /** Exchanges the comparison engine could not compare (outcome `error`): the new side did not answer, or a body was over the cap. */
  shadowErrors: number;
  /** Compared answers whose status differed from legacy's: errors for the gates. */
  statusDifferences: number;
  examples: string[];
}
