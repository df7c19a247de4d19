export { TopicCodec, UndecodableRecordError, createSchemaRegistry, topicCodec, valueSubject } from './codec.js';
export { IncompatibleSchemaError, SchemaRegistryAdmin } from './registration.js';
export { schemas, type SchemaName, type SchemaTypes } from './generated.js';
export type * from './generated.js';
export { walletCommand } from './wallet-command.js';
