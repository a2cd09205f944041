/**
 * The toolkit's error base. Every component subclasses it with its own code prefix
 * (PROXY_ERR_*, CDC_ERR_*, BROKER_ERR_*, DB_ERR_*, SHOP_ERR_*, ...). Retry code reads
 * `retriable`, never the message. A retired code is never reused.
 */
export class ToolkitError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly context: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options: { retriable?: boolean; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }
}

/** Raised when a component's configuration is invalid; carries every problem at once. */
export class ConfigError extends ToolkitError {
  readonly problems: string[];
  constructor(component: string, problems: string[]) {
    super('CONFIG_ERR_INVALID', `invalid configuration for ${component}:\n  - ${problems.join('\n  - ')}`, {
      context: { component },
    });
    this.problems = problems;
  }
}
