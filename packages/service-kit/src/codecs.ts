import {
  topicCodec,
  type SchemaName,
  type SchemaTypes,
  type TopicCodec,
  type createSchemaRegistry,
} from '@tally/schemas';

export type SchemaRegistry = ReturnType<typeof createSchemaRegistry>;

/**
 * A codec for a topic of the catalogue (@tally/contracts TOPICS or REGIONAL_TOPICS): its records are the
 * contract's schema, whatever the topic is called. The name comes from configuration (a deployment may rename a
 * topic); the schema never does, so no service spells one.
 */
export function topicCodecFor<N extends SchemaName>(
  registry: SchemaRegistry,
  topicName: string,
  contract: { readonly valueSchema: N },
): TopicCodec<SchemaTypes[N]> {
  return topicCodec(registry, topicName, contract.valueSchema);
}
