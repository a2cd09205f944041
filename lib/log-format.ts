import { prettyFactory } from 'pino-pretty';
import { ConfigError } from './errors.ts';

/**
 * How `npm start` shows its components' log lines. Components always log JSON (one object a
 * line, for machines: a pipe, a file, a log shipper). On a terminal a person reads them, so
 * each becomes one short line: local time, level, message, then the other fields; a line that
 * is not a log object (a stack trace, a child's own print) passes through as it is.
 */
export type LineFormat = (line: string) => string;

export function humanLogLines(options: { colorize: boolean }): LineFormat {
  const pretty = prettyFactory({
    colorize: options.colorize,
    translateTime: 'SYS:HH:MM:ss',
    // the prefix already names the component; pid and host say nothing on one machine
    ignore: 'pid,hostname,component,name',
    singleLine: true,
  });
  return (line) => {
    if (!line.startsWith('{')) return line;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return line;
    }
    const isLog =
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as { level?: unknown }).level === 'number';
    return isLog ? pretty(parsed).trimEnd() : line;
  };
}

/**
 * npm start's choice: human lines on a terminal, JSON when piped or when LOG_FORMAT=json asks
 * for it (LOG_FORMAT=pretty asks for human lines anywhere).
 */
export function startLogFormat(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): LineFormat | undefined {
  const asked = env.LOG_FORMAT;
  if (asked !== undefined && asked !== 'json' && asked !== 'pretty')
    throw new ConfigError('npm start', [`LOG_FORMAT must be json or pretty; got "${asked}"`]);
  const human = asked === 'pretty' || (asked === undefined && stream.isTTY === true);
  return human ? humanLogLines({ colorize: stream.isTTY === true }) : undefined;
}
