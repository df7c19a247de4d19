export { stackDown, stackEndpoints, stackEnvironment, stackStatus, stackUp, type ComponentStatus } from './stack.js';
export {
  applyTopics,
  declaredTopics,
  growPartitions,
  isKeyed,
  partitionAction,
  repartitionWarning,
  RepartitionRefusedError,
  topicConfig,
  retentionMs,
  withPartitions,
  type ApplyTopicsOptions,
  type DeclaredTopics,
  type GrowPartitionsOptions,
  type PartitionAction,
  type Repartition,
  type TopicChange,
  type TopicSpec,
} from './topics.js';
export { renderTopicsYaml } from './topics-yaml.js';
export { registerSchemas, checkSchemas } from './schemas.js';
export {
  brokerAddress,
  brokerNodes,
  brokerProcess,
  brokerSettings,
  kafkaClasspath,
  startBroker,
  stopBroker,
  type BrokerSettings,
} from './kafka-broker.js';
export { killProcess, runningPid, waitUntil } from './processes.js';
export { stackProfile, type StackProfile } from './profile.js';
export {
  redisCli,
  redisClusterPorts,
  redisClusterSettings,
  redisNodeProcess,
  redisPrimaries as redisClusterPrimaries,
  startRedisNode,
  waitForRedisCluster,
  type RedisClusterSettings,
} from './redis-cluster.js';
export { groupLag, lagTable } from './lag.js';
export {
  ReplayRefusedError,
  moveGroupBack,
  parseReplayStart,
  watchCatchUp,
  type PartitionMove,
  type ReplayStart,
} from './replay.js';
export { registrySettings, registryUrl } from './schema-registry.js';
export { repoRoot, stackDir } from './paths.js';
export { readSideTopic, type SideTopicRead } from './side-topic-io.js';
export { IMAGES, imageReference, type ImageName } from './images/catalogue.js';
export { dockerHost, engineUp } from './images/engine.js';
export { imageExists } from './images/build.js';
export { setupCluster } from './setup.js';
