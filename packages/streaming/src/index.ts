export { BatchConsumer, type BatchConsumerOptions, type BatchHandler, type ConsumedRecord, type PartitionBatch, type Rejection } from './consumer.js';
export { createKafka, type KafkaOptions } from './kafka.js';
export { consumerLag, type PartitionLag } from './lag.js';
export { consumerMetrics, type ConsumerMetrics } from './metrics.js';
export { KafkaUnavailableError, TypedProducer, type OutgoingRecord, type ProducerOptions } from './producer.js';
export { TransientError, isTransient } from './transient.js';
export { runService, type ServiceResource } from './service.js';
