import { SchemaRegistryAdmin, schemas } from '@tally/schemas';
import type { DeclaredTopics } from './topics.js';

export interface SchemaRegistration {
  subject: string;
  schema: string;
  id: number;
}

/** Registers each topic's value schema under `<topic>-value` with BACKWARD compatibility; fails on a breaking change. */
export async function registerSchemas(
  registryUrl: string,
  file: DeclaredTopics,
  namePrefix = '',
): Promise<SchemaRegistration[]> {
  const admin = new SchemaRegistryAdmin(registryUrl);
  const done: SchemaRegistration[] = [];
  for (const topic of file.topics) {
    const subject = `${namePrefix}${topic.name}-value`;
    const id = await admin.register(subject, schemas[topic.valueSchema]);
    done.push({ subject, schema: topic.valueSchema, id });
  }
  return done;
}

/** Whether every schema in schemas/ can replace what the registry holds for its topics, without registering. */
export async function checkSchemas(
  registryUrl: string,
  file: DeclaredTopics,
): Promise<{ subject: string; compatible: boolean; messages: string[] }[]> {
  const admin = new SchemaRegistryAdmin(registryUrl);
  const results = [];
  for (const topic of file.topics) {
    const subject = `${topic.name}-value`;
    results.push({ subject, ...(await admin.checkCompatibility(subject, schemas[topic.valueSchema])) });
  }
  return results;
}
