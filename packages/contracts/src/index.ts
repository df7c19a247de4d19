export {
  DEFAULT_REGIONS,
  REGIONAL_TOPICS,
  REGION_PLACEHOLDER,
  TOPICS,
  TOPIC_DEFAULTS,
  regionalTopicName,
  topicCatalogue,
  type CleanupPolicy,
  type RegionalTopicContract,
  type TopicDefaults,
  type TopicContract,
  type TopicId,
} from './topics.js';
export {
  ERROR_CODES,
  ERROR_CODE_NAMES,
  apiError,
  clientProblem,
  isErrorCode,
  problem,
  unlistedProblem,
  listedProblem,
  type ApiError,
  type ErrorCode,
  type ErrorCodeContract,
  type ErrorDetail,
  type Problem,
} from './errors.js';
export { BATCH_BODY_LIMIT, MAX_BATCH_ITEMS, WRITE_BODY_LIMIT } from './api-limits.js';
export { invalidFields, invalidRequest, type FormatProblem, type SchemaViolation } from './schema-violations.js';
export {
  ADMISSION_TOKEN_PATTERN,
  ID_MAX_LENGTH,
  ID_PATTERN,
  MAX_ADMISSION_TOKEN_LENGTH,
  MAX_EPOCH_MS,
  MAX_LIST_LIMIT,
  METRIC_NAME_PATTERN,
  TICKET_ID_PATTERN,
  WRITE_ID_MAX_LENGTH,
  WRITE_ID_PATTERN,
  admissionTokenParam,
  epochMsParam,
  idParam,
  listLimit,
  ticketIdParam,
  writeIdParam,
} from './params.js';
export { DEV_API_KEY, SCOPES, type Scope } from './scopes.js';
export {
  DEVELOPMENT_TICKET_KEY,
  TICKET_SECRET_PATTERN,
  opensTicket,
  ticketFor,
  type TicketCredentials,
} from './tickets.js';
export {
  InvalidWriteKeyError,
  MAX_SEQ,
  SOURCE_MAX_LENGTH,
  SOURCE_PATTERN,
  formatWriteKey,
  isValidSeq,
  isValidSource,
  parseWriteKey,
  writeKey,
  type WriteKey,
} from './write-ids.js';
export {
  WRITE_CONFLICT_PREFIX,
  conflictReason,
  firstDifferentField,
  firstOfEachId,
  isConflictReason,
  judgeWrites,
  type IdentifiedWrite,
  type WriteBody,
  type WriteConflictReason,
  type WriteVerdict,
} from './write-conflicts.js';
export { NO_QUEUE_COMMAND_DETAILS, type QueueCommandDetails } from './queue-commands.js';
export {
  MAX_STREAM_SHARDS,
  NO_SHARDS,
  heartbeatRecordKey,
  parseStreamShards,
  sessionShard,
  shardKey,
  shardsAt,
  type ShardStep,
  type StreamShards,
} from './viewer-shards.js';
