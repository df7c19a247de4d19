export { createLogger, type Logger } from './logger.js';
export { createMetrics, type Metrics } from './metrics.js';
export {
  answerReadErrors,
  opsApp,
  registerOpsRoutes,
  sendProblem,
  startOpsServer,
  type OpsServer,
  type ReadinessCheck,
} from './ops-server.js';
export { TimeoutError, withTimeout } from './timeout.js';
export { writeConflicts, type WriteConflicts } from './write-conflicts.js';
