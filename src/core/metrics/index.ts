export {
  counter,
  histogram,
  LabelledCounter,
  METRIC_PREFIX,
  metricsRegistry,
  SampledGauge,
} from './registry.js';
export { Readiness, within, type DependencyCheck, type ReadinessReport } from './readiness.js';
export {
  probeAnswer,
  startMetricsListener,
  type HealthSource,
  type MetricsListener,
  type ProbeAnswer,
} from './server.js';
