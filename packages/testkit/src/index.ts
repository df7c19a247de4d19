export { localStack, stackFromEnvironment, stackVariables, type TestStack } from './stack.js';
export {
  createTestTopics,
  createTopicsWithSchemas,
  TestClock,
  eventually,
  quietLogger,
  readRecords,
  testKafka,
  uniqueName,
  withAdmin,
} from './helpers.js';
export { dockerMayBeReachable } from './containers.js';
export { bruteForceRanking } from './global-votes-oracle.js';
export { freePort, stackEnvironment, startServiceProcess, type ServiceProcess } from './service-process.js';
export {
  gatewayTopicEnvironment,
  startRebuildProcesses,
  startTallyProcesses,
  tallyTopicNames,
  type TallyProcesses,
  type TallyProcessesOptions,
} from './tally-processes.js';
