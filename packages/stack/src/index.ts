export { stackDown, stackEndpoints, stackStatus, stackUp, type ComponentStatus } from './stack.js';
export { applyTopics, loadTopics, topicConfig, retentionMs, type TopicSpec, type TopicsFile } from './topics.js';
export { registerSchemas, checkSchemas } from './schemas.js';
export { brokerSettings } from './kafka-broker.js';
export { registrySettings, registryUrl } from './schema-registry.js';
export { repoRoot, stackDir } from './paths.js';
