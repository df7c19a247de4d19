export {
  BatchConsumer,
  type BatchConsumerOptions,
  type BatchHandler,
  type ConsumedRecord,
  type PartitionBatch,
  type Rejection,
} from './consumer.js';
export type { LateEntry } from './late-records.js';
export { createKafka, kafkaSecurity, type KafkaOptions, type KafkaTransportSettings } from './kafka.js';
export { consumerLag, type PartitionLag } from './lag.js';
export { consumerMetrics, type ConsumerMetrics } from './metrics.js';
export { KafkaUnavailableError, TypedProducer, type OutgoingRecord, type ProducerOptions } from './producer.js';
export { TransientError, isTransient } from './transient.js';
export { closeOnce, consumingServiceResources, runService, type ServiceResource } from './service.js';
export { Serially } from './serially.js';
export { topicPartitions } from './topic-partitions.js';
