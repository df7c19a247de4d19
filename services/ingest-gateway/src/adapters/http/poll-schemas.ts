import {
  MAX_POLL_OPTIONS,
  MAX_POLL_REGIONS,
  MAX_REGION_WEIGHT,
  MIN_POLL_OPTIONS,
  REGION_ID_PATTERN,
} from '../../domain/poll.js';
import { answerObject, epochMs, id, strictObject, writeKeyFields } from './schemas.js';

/**
 * JSON schemas of the global-vote routes, built from the same parts as the others. Which regions may be named
 * depends on the deployment (VOTE_REGIONS), so that is checked past the schema, by the domain's region rule.
 */

export const pollParams = strictObject(['pollId'], {
  pollId: id('The poll: a contest, an award, a question to the world'),
});

const regionWeight = strictObject(['weight'], {
  weight: {
    type: 'number',
    exclusiveMinimum: 0,
    maximum: MAX_REGION_WEIGHT,
    description:
      "The region's weight in the global score, above 0 and at most 1000; relative to the other regions' weights",
  },
});

export const pollDefinitionBody = strictObject(['options', 'regions'], {
  options: {
    type: 'array',
    minItems: MIN_POLL_OPTIONS,
    maxItems: MAX_POLL_OPTIONS,
    uniqueItems: true,
    items: id('An option voters may choose'),
    description: 'The options, 2-100 different ids',
  },
  regions: {
    type: 'object',
    minProperties: 1,
    maxProperties: MAX_POLL_REGIONS,
    additionalProperties: regionWeight,
    description:
      'Region id -> {weight}, 1-16 regions, each one this deployment takes votes for (VOTE_REGIONS), e.g. {"kr": {"weight": 1}}',
  },
});

export const voteBody = strictObject(['source', 'seq', 'region', 'userId', 'optionId'], {
  ...writeKeyFields,
  region: {
    type: 'string',
    pattern: REGION_ID_PATTERN.source,
    description: 'The region taking the vote, one of VOTE_REGIONS; only that region counts it',
  },
  userId: id('Who votes; one vote per user and poll, the first one wins'),
  optionId: id('The option chosen'),
});

/** One item of `POST /v1/polls/votes/batch`: the vote's body and the poll its path names. */
export const voteBatchItem = strictObject(['pollId', ...voteBody.required], {
  pollId: pollParams.properties.pollId,
  ...voteBody.properties,
});

/** What documents and checks one poll write; both answer `acceptedResponse`. */
export interface PollWriteSchema {
  summary: string;
  description: string;
  body: object;
}

export const pollDefinitionWrite: PollWriteSchema = {
  summary: "Defines a poll's options and each region's weight; the newest definition wins",
  description:
    'Needs the polls:admin scope. A region not in VOTE_REGIONS is refused (400, naming body.regions.<id>). ' +
    "The gateway names this write itself (source gateway.<key name>, seq from the receipt time), so the answer's id is new each time.",
  body: pollDefinitionBody,
};

export const voteWrite: PollWriteSchema = {
  summary: "Casts one user's vote in one region; a user's first vote for a poll wins",
  description:
    "Goes to the region's own ballots topic, keyed by pollId/userId, and is counted by that region alone. " +
    'A region not in VOTE_REGIONS is refused (400, naming body.region). Retry with the same (source, seq).',
  body: voteBody,
};

const regionResult = answerObject(['votes', 'counts', 'weight', 'snapshotVersion', 'snapshotAt'], {
  votes: { type: 'integer', description: "Votes of the region's snapshot on the poll's options" },
  counts: {
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Option id → its votes in the region, every option of the poll listed',
  },
  weight: { type: 'number', description: "The region's weight in the global score" },
  snapshotVersion: { type: 'integer', description: "The region's snapshot merged (0: none yet)" },
  snapshotAt: {
    type: 'integer',
    nullable: true,
    description:
      'When that snapshot was taken, epoch ms; null until the region has reported. Old: it has not reported lately',
  },
});

export const pollResultsAnswer = answerObject(['pollId', 'version', 'global', 'regions', 'asOf'], {
  pollId: { type: 'string', description: 'The poll' },
  version: {
    type: 'integer',
    description: 'Grows with every change of the result and never goes back: drop an answer older than one you have',
  },
  global: {
    type: 'array',
    description: 'Every option of the poll, best first',
    items: answerObject(['optionId', 'score', 'rank'], {
      optionId: { type: 'string', description: 'The option' },
      score: {
        type: 'number',
        description:
          "The weighted mean of the option's share of each region's votes, over the regions with votes (0 to 1)",
      },
      rank: { type: 'integer', description: '1 for the highest score; equal scores ordered by optionId' },
    }),
  },
  regions: {
    type: 'object',
    additionalProperties: regionResult,
    description: 'Region id → what it counted towards the result, every region of the poll listed',
  },
  asOf: epochMs('When the result was worked out'),
});
