export { topicCodecFor, type SchemaRegistry } from './codecs.js';
export { consumingServiceShape, type ConsumingServiceConfig, type ConsumingServiceDefaults } from './config.js';
export {
  startConsumingService,
  type ConsumerWiring,
  type ConsumingServiceOptions,
  type RunningService,
  type ServiceKit,
} from './consuming-service.js';
export { runServiceMain } from './main.js';
