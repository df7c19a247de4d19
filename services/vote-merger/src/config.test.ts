import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tally/config';
import { loadConfig } from './config.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('vote-merger configuration', () => {
  it('a region instance: its own group, schema and topics by default', () => {
    const config = loadConfig({ VOTE_ROLE: 'region', REGION: 'kr' });
    expect(config.CONSUMER_GROUP).toBe('vote-merger.kr');
    expect(config.DB_SCHEMA).toBe('vote_region_kr');
    expect(config.topics.ballots('kr')).toBe('kr.tally.votes.ballots');
    expect(config.topics.snapshots('kr')).toBe('kr.tally.votes.snapshots');
  });

  it('the merger: every region by default', () => {
    const config = loadConfig({ VOTE_ROLE: 'merger' });
    expect(config.VOTE_REGIONS).toEqual(['kr', 'jp', 'tw', 'na']);
    expect(config.CONSUMER_GROUP).toBe('vote-merger.merger');
    expect(config.DB_SCHEMA).toBe('vote_merger');
  });

  it('names every problem at once', () => {
    const problems = problemsOf({
      VOTE_ROLE: 'region',
      VOTE_REGIONS: 'kr,KR,kr',
      VOTE_BALLOTS_TOPIC_TEMPLATE: 'ballots',
    });
    expect(problems.some((p) => p.startsWith('REGION:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('VOTE_REGIONS:') && p.includes('"KR"'))).toBe(true);
    expect(problems.some((p) => p.includes('listed twice'))).toBe(true);
    expect(problems.some((p) => p.startsWith('VOTE_BALLOTS_TOPIC_TEMPLATE:'))).toBe(true);
  });

  it('a role is required', () => {
    expect(problemsOf({}).some((p) => p.startsWith('VOTE_ROLE:'))).toBe(true);
  });
});
