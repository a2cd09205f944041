import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { humanLogLines, startLogFormat } from './log-format.ts';

/** A line exactly as a component's logger (lib/log.ts: pino) writes it. */
function pinoLine(write: (log: pino.Logger) => void): string {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      out += chunk;
      done();
    },
  });
  write(pino({ name: 'broker', base: { component: 'broker' } }, sink));
  return out.trimEnd();
}

describe('npm start log lines', () => {
  const human = humanLogLines({ colorize: false });

  it('turns a component log object into one short line: time, level, message, fields', () => {
    const line = pinoLine((log) => log.info({ host: '127.0.0.1', port: 9092 }, 'broker listening'));
    expect(line.startsWith('{"level":30,"time":')).toBe(true);
    const shown = human(line);
    expect(shown).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: broker listening \{"host":"127.0.0.1","port":9092\}$/);
    expect(shown).not.toContain('\n');
    expect(shown).not.toContain('"component"');
  });

  it('keeps an error on its line with its message', () => {
    const shown = human(pinoLine((log) => log.error({ err: new Error('disk full') }, 'write failed')));
    expect(shown).toMatch(/^\[\d\d:\d\d:\d\d\] ERROR: write failed /);
    expect(shown).toContain('disk full');
  });

  it('passes through what is not a log object', () => {
    for (const line of ['connector cannot start: ECONNREFUSED', '{not json', '{"rows":3}', '[1,2]'])
      expect(human(line)).toBe(line);
  });

  it('shows human lines on a terminal and JSON on a pipe, unless LOG_FORMAT says otherwise', () => {
    expect(startLogFormat({ isTTY: true }, {})).toBeTypeOf('function');
    expect(startLogFormat({ isTTY: false }, {})).toBeUndefined();
    expect(startLogFormat({}, {})).toBeUndefined();
    expect(startLogFormat({ isTTY: true }, { LOG_FORMAT: 'json' })).toBeUndefined();
    expect(startLogFormat({ isTTY: false }, { LOG_FORMAT: 'pretty' })).toBeTypeOf('function');
    expect(() => startLogFormat({ isTTY: true }, { LOG_FORMAT: 'yaml' })).toThrow(
      'invalid configuration for npm start:\n  - LOG_FORMAT must be json or pretty; got "yaml"',
    );
  });
});
