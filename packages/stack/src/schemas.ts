import { SchemaRegistryAdmin, schemas, type SchemaName } from '@tally/schemas';
import type { TopicsFile } from './topics.js';

export interface SchemaRegistration {
  subject: string;
  schema: string;
  id: number;
}

function schemaOf(name: string): object {
  const schema = (schemas as Record<string, object>)[name];
  if (!schema)
    throw new Error(
      `deploy/topics.yaml names value schema ${name}, which is not in schemas/ (known: ${Object.keys(schemas).join(', ')})`,
    );
  return schema;
}

/** Registers each topic's value schema under `<topic>-value` with BACKWARD compatibility; fails on a breaking change. */
export async function registerSchemas(
  registryUrl: string,
  file: TopicsFile,
  namePrefix = '',
): Promise<SchemaRegistration[]> {
  const admin = new SchemaRegistryAdmin(registryUrl);
  const done: SchemaRegistration[] = [];
  for (const topic of file.topics) {
    if (!topic.valueSchema) continue;
    const subject = `${namePrefix}${topic.name}-value`;
    const id = await admin.register(subject, schemaOf(topic.valueSchema as SchemaName));
    done.push({ subject, schema: topic.valueSchema, id });
  }
  return done;
}

/** Whether every schema in schemas/ can replace what the registry holds for its topics, without registering. */
export async function checkSchemas(
  registryUrl: string,
  file: TopicsFile,
): Promise<{ subject: string; compatible: boolean; messages: string[] }[]> {
  const admin = new SchemaRegistryAdmin(registryUrl);
  const results = [];
  for (const topic of file.topics) {
    if (!topic.valueSchema) continue;
    const subject = `${topic.name}-value`;
    results.push({ subject, ...(await admin.checkCompatibility(subject, schemaOf(topic.valueSchema))) });
  }
  return results;
}
