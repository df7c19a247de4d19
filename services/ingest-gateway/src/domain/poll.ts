import { regionalTopicName, type WriteKey } from '@tally/contracts';
import type { Ballot, PollDefinition } from '@tally/schemas';
import type { ErrorDetail } from './api-error.js';

/** A region id names topics (`{region}.tally.votes.ballots`) and result keys: short, lower case, no dots. */
export const REGION_ID_PATTERN = /^[a-z][a-z0-9-]{0,15}$/;

/** A poll with one option is no choice; a hundred is far beyond any seed and keeps a result small. */
export const MIN_POLL_OPTIONS = 2;
export const MAX_POLL_OPTIONS = 100;
/** A poll names at most this many regions, so one definition cannot make the merger track thousands. */
export const MAX_POLL_REGIONS = 16;
/** Weights are relative; beyond 1000:1 one region's votes drown the others', which is a typo, not a policy. */
export const MAX_REGION_WEIGHT = 1000;

/** The JSON body of `PUT /v1/polls/{pollId}`, once validated. */
export interface PollDefinitionRequest {
  options: string[];
  regions: Record<string, { weight: number }>;
}

/** The JSON body of `POST /v1/polls/{pollId}/votes`, once validated. */
export interface VoteRequest extends WriteKey {
  region: string;
  userId: string;
  optionId: string;
}

/** One item of `POST /v1/polls/votes/batch`: a vote that names its poll. */
export interface BatchVoteItem extends VoteRequest {
  pollId: string;
}

/** Defines (or redefines: the newest wins) a poll's options and each region's weight, under the gateway's (source, seq). */
export function toPollDefinition(
  pollId: string,
  request: PollDefinitionRequest,
  key: WriteKey,
  definedAtMs: number,
): PollDefinition {
  const regionWeights = Object.fromEntries(
    Object.entries(request.regions).map(([region, { weight }]) => [region, weight]),
  );
  return { source: key.source, seq: key.seq, pollId, options: [...request.options], regionWeights, definedAtMs };
}

/** One user's vote, counted only by the region that took it. */
export function toBallot(pollId: string, request: VoteRequest, castAtMs: number): Ballot {
  const { source, seq, region, userId, optionId } = request;
  return { source, seq, pollId, region, userId, optionId, castAtMs };
}

/**
 * The Kafka key of a ballot: all of one user's ballots for a poll share a partition, so the region's counter
 * sees them in order and the first one wins. Ids cannot hold '/', so the key names one (poll, user) only.
 */
export const ballotKey = (ballot: Pick<Ballot, 'pollId' | 'userId'>): string => `${ballot.pollId}/${ballot.userId}`;

/** The topic a region's ballots go to: each region has its own, so its votes never mix with another's. */
export const ballotsTopic = (template: string, region: string): string => regionalTopicName(template, region);

/**
 * Why `region` cannot be named here, or undefined when it can. Only the regions this deployment takes votes
 * for (VOTE_REGIONS) have a ballots topic, and a weight for any other would count a region nobody counts.
 */
export function regionProblem(region: string, configured: readonly string[]): string | undefined {
  return configured.includes(region)
    ? undefined
    : `is not a region this gateway takes votes for (it knows ${configured.join(', ')})`;
}

/** The weights a definition gives regions that are not configured, one detail per region. */
export function pollRegionProblems(request: PollDefinitionRequest, configured: readonly string[]): ErrorDetail[] {
  return Object.keys(request.regions).flatMap((region) => {
    const message = regionProblem(region, configured);
    return message === undefined ? [] : [{ field: `body.regions.${region}`, message }];
  });
}

/** A vote cast in a region that is not configured, as the one detail of the refusal, named under `where`. */
export function voteRegionProblems(request: VoteRequest, configured: readonly string[], where = 'body'): ErrorDetail[] {
  const message = regionProblem(request.region, configured);
  return message === undefined ? [] : [{ field: `${where}.region`, message }];
}
