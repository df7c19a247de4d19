import { describe, expect, it } from 'vitest';
import { REGIONAL_TOPICS, TOPICS, regionalTopicName } from '@tally/contracts';
import { createSchemaRegistry, schemas } from '@tally/schemas';
import { topicCodecFor } from './codecs.js';

// never contacted: a codec asks the registry only when it first encodes or decodes
const registry = createSchemaRegistry('http://127.0.0.1:1');

describe('topicCodecFor', () => {
  it('takes the schema from the contract, whatever the topic is called', () => {
    const renamed = topicCodecFor(registry, 'staging.wallet.commands', TOPICS.walletCommands);
    expect(renamed.topic).toBe('staging.wallet.commands');
    expect(renamed.schema).toBe(schemas[TOPICS.walletCommands.valueSchema]);
  });

  it('serves regional topics too', () => {
    const ballots = topicCodecFor(
      registry,
      regionalTopicName(REGIONAL_TOPICS.ballots.template, 'kr'),
      REGIONAL_TOPICS.ballots,
    );
    expect(ballots.topic).toBe('kr.tally.votes.ballots');
    expect(ballots.schema).toBe(schemas['tally.votes.Ballot']);
  });
});
