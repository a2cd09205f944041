/**
 * The comparison engine's public surface. For test suites: `compareEndpoints`. For the
 * proxy: `createCompareHook`. For reports: `reportFromStore` / `reportFromResults` and the
 * renderers. See docs/compare.md.
 */
export { readCapture } from './capture.ts';
export { Comparator, type ComparisonExecutor } from './comparator.ts';
export {
  type CompareEndpointsOptions,
  type CompareEndpointsReport,
  compareEndpoints,
  type EndpointRequest,
  type EndpointResult,
} from './compare-endpoints.ts';
export { CompareEngine } from './compare-engine.ts';
export { ComparisonStore } from './comparison-store.ts';
export { createCompareHook } from './create-compare-hook.ts';
export { type Answer, diffAnswers, type FieldDiff } from './diff.ts';
export {
  type CompareReport,
  renderHtml,
  renderMarkdown,
  reportFromResults,
  reportFromStore,
  writeReport,
} from './report.ts';
export { type CompareRulesInput, compareRulesSchema, compileRules } from './rules.ts';
