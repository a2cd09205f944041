import { InvalidArgumentError } from 'commander';

/** Option parsers shared by the strangler commands; each names the option and a valid example. */
export const positiveNumber = (name: string, example: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`${name} must be a number > 0, e.g. ${example}`);
  return n;
};

export const wholeNumber =
  (name: string, example: string, min = 0) =>
  (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < min) {
      throw new InvalidArgumentError(`${name} must be a whole number ≥ ${min}, e.g. ${example}`);
    }
    return Number(value);
  };

/** "30s", "2m", "1500ms" or plain seconds → milliseconds. */
export function duration(name: string) {
  return (value: string) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
    if (!m || Number(m[1]) <= 0)
      throw new InvalidArgumentError(`${name} must be a duration such as 30s, 2m or 500ms`);
    const unit = m[2] ?? 's';
    return Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000);
  };
}

export function url(name: string) {
  return (value: string) => {
    try {
      const u = new URL(value);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
      return u.toString().replace(/\/$/, '');
    } catch {
      throw new InvalidArgumentError(`${name} must be an http(s) URL such as http://127.0.0.1:8080`);
    }
  };
}
