/**
 * What `npm start` runs, in start order. Each component is its own process with a health
 * URL. Ports come from the same env names the components read themselves, so one override
 * moves both.
 */
export interface ComponentSpec {
  name: string;
  script: string;
  args?: string[];
  port: number;
  healthPath: string;
  /** Shown to the user once everything is up. */
  describe: (port: number) => string;
}

export function components(env: NodeJS.ProcessEnv): ComponentSpec[] {
  const port = (name: string, fallback: number) => Number(env[name] ?? fallback);
  return [
    {
      name: 'monolith',
      script: 'legacy-monolith/main.ts',
      port: port('MONOLITH_PORT', 3000),
      healthPath: '/health',
      describe: (p) => `legacy shop        http://127.0.0.1:${p}/products`,
    },
  ];
}
