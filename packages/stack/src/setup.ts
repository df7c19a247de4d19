import type { Kafka } from 'kafkajs';
import { registerSchemas, type SchemaRegistration } from './schemas.js';
import { applyTopics, declaredTopics, type ApplyTopicsOptions, type TopicChange } from './topics.js';

export interface SetupOutcome {
  changes: TopicChange[];
  schemas: SchemaRegistration[];
  topics: number;
}

/**
 * What a cluster needs once before any service starts (`tally setup`, the deployment's setup job; also `stack up`
 * and the Testcontainers harness): the catalogue's topics created or grown, then their value schemas registered.
 * The schemas do not depend on partition counts, so they are registered even when a growth was refused.
 */
export async function setupCluster(
  kafka: Kafka,
  registryUrl: string,
  options: ApplyTopicsOptions = {},
): Promise<SetupOutcome> {
  const declared = declaredTopics();
  const admin = kafka.admin();
  await admin.connect();
  let changes: TopicChange[];
  try {
    changes = await applyTopics(admin, declared, '', options);
  } finally {
    await admin.disconnect();
  }
  const schemas = await registerSchemas(registryUrl, declared);
  return { changes, schemas, topics: declared.topics.length };
}
