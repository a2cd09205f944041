import { describe, expect, it } from 'vitest';
import { parsePrometheus, sumOf } from './prometheus-text.ts';

describe('parsePrometheus', () => {
  it('reads labelled samples and sums them by label', () => {
    const text = [
      '# HELP strangler_proxy_requests_total Requests',
      '# TYPE strangler_proxy_requests_total counter',
      'strangler_proxy_requests_total{route="products",target="new",status="200"} 12',
      'strangler_proxy_requests_total{route="products",target="legacy",status="200"} 30',
      'strangler_proxy_requests_total{route="orders",target="legacy",status="500"} 2',
      'strangler_compare_total{route="products",outcome="match"} 4',
      'weird_label{path="a \\"quoted\\" \\\\ value"} 1.5',
    ].join('\n');
    const samples = parsePrometheus(text);
    expect(samples).toHaveLength(5);
    expect(sumOf(samples, 'strangler_proxy_requests_total', { route: 'products' })).toBe(42);
    expect(sumOf(samples, 'strangler_proxy_requests_total', { status: '500' })).toBe(2);
    expect(samples[4]).toEqual({ name: 'weird_label', labels: { path: 'a "quoted" \\ value' }, value: 1.5 });
  });
});
