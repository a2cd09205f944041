import { z } from 'zod';
import { ConfigError } from './errors.ts';

/**
 * One schema per component. Each key maps to an environment variable; values arrive as
 * strings and are coerced by the schema. Validation reports every problem in one message
 * (field, env name, value, expected) and hands back a frozen, typed object.
 *
 * Environment variables are read here and nowhere else.
 */
export type EnvSpec<S extends z.ZodRawShape> = { [K in keyof S]: string };

export function loadConfig<S extends z.ZodRawShape>(
  component: string,
  shape: S,
  envNames: EnvSpec<S>,
  overrides: Partial<{ [K in keyof S]: unknown }> = {},
  env: NodeJS.ProcessEnv = process.env,
): Readonly<z.infer<z.ZodObject<S>>> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) {
    const fromOverride = (overrides as Record<string, unknown>)[key];
    const envName = envNames[key as keyof S];
    const fromEnv = env[envName];
    raw[key] = fromOverride !== undefined ? fromOverride : fromEnv === '' ? undefined : fromEnv;
  }
  const result = z.object(shape).safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const envName = envNames[key as keyof S];
      const value = raw[key];
      return `${key} (env ${envName}${value === undefined ? ', unset' : `=${JSON.stringify(value)}`}): ${issue.message}`;
    });
    throw new ConfigError(component, problems);
  }
  return Object.freeze(result.data);
}

/** Reads one optional environment variable, for the few places outside a component schema. */
export function envValue(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** A MySQL database name as the components' settings take it. */
export const databaseName = z
  .string()
  .regex(/^[A-Za-z0-9_$]{1,64}$/, 'must be a MySQL database name: letters, digits, _ or $, at most 64');

/** KAFKA_BROKERS: comma-separated host:port, as a list (default the embedded broker's). */
export const kafkaBrokers = () =>
  z
    .string()
    .regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, 'must be host:port[,host:port], e.g. 127.0.0.1:9092')
    .default('127.0.0.1:9092')
    .transform((v) => v.split(','));

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const boolFlag = (fallback: boolean) =>
  z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
    .default(fallback)
    .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

/** Prints a configuration error and exits: an invalid config stops the process at start. */
export function exitOnConfigError(err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
