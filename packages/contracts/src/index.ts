export {
  DEFAULT_REGIONS,
  REGIONAL_TOPICS,
  REGION_PLACEHOLDER,
  TOPICS,
  regionalTopicName,
  topicCatalogue,
  type CleanupPolicy,
  type RegionalTopicContract,
  type TopicContract,
  type TopicId,
} from './topics.js';
export {
  InvalidWriteKeyError,
  MAX_SEQ,
  SOURCE_PATTERN,
  formatWriteKey,
  isValidSeq,
  isValidSource,
  parseWriteKey,
  writeKey,
  type WriteKey,
} from './write-ids.js';
