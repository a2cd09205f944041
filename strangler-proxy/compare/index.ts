/**
 * The comparison engine's public surface, and its only door: code outside
 * strangler-proxy/compare/ imports from here. For test suites: `compareEndpoints`. For the
 * proxy: `createCompareHook`. For reports: `reportFromStore` / `reportFromResults` and the
 * renderers. For the engine benchmark: its parts (`Comparator`, `CompareEngine`,
 * `WorkerExecutor`, `NoiseModel`, `diffAnswers`) and its fixture body. See docs/compare.md.
 *
 * One exception, on purpose: the route table (strangler-proxy/routes/) imports the rule schema
 * from ./rules.ts itself, because every proxy worker loads the route table and a worker must not
 * load the engine (strangler-proxy/worker-main.ts); this door would load all of it.
 */
export { type CapturedRequest, readCapture } from './capture.ts';
export { Comparator, type ComparisonExecutor, type Send } from './comparator.ts';
export {
  type CompareEndpointsOptions,
  type CompareEndpointsReport,
  compareEndpoints,
  type EndpointRequest,
  type EndpointResult,
} from './compare-endpoints.ts';
export { CompareEngine } from './compare-engine.ts';
export { type ComparisonRecord, ComparisonStore, type RouteCounters } from './comparison-store.ts';
export { createCompareHook } from './create-compare-hook.ts';
export { type Answer, diffAnswers, type FieldDiff } from './diff.ts';
export { NoiseModel } from './noise.ts';
export { defaultRedaction, REDACTED } from './redact.ts';
export {
  type CompareReport,
  renderHtml,
  renderMarkdown,
  reportFromResults,
  reportFromStore,
  writeReport,
} from './report.ts';
export { type CompareRulesInput, compareRulesSchema, compileRules } from './rules.ts';
export { benchBody } from './testing/bench-body.ts';
export { WorkerExecutor } from './worker-executor.ts';
