import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tally/config';
import { gatewayConfig } from './config.js';

function problemsOf(source: NodeJS.ProcessEnv): readonly string[] {
  try {
    gatewayConfig(source);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('gateway configuration', () => {
  it('defaults to the local stack with the development key', () => {
    const config = gatewayConfig({});
    expect(config).toMatchObject({
      PORT: 8080,
      HOST: '0.0.0.0',
      TALLY_ENV: 'development',
      VIEWER_AGGREGATOR_URL: 'http://127.0.0.1:8091',
      COUNTER_MATERIALIZER_URL: 'http://127.0.0.1:8092',
      WALLET_LEDGER_URL: 'http://127.0.0.1:8093',
      QUEUE_ADMITTER_URL: 'http://127.0.0.1:8094',
      VOTE_RESULTS_URL: 'http://127.0.0.1:8095',
      RATE_LIMIT_PER_SECOND: 5000,
      WRITE_DEADLINE_MS: 5000,
      HEARTBEATS_TOPIC: 'tally.viewers.heartbeats',
      ITEM_EVENTS_TOPIC: 'tally.counters.events',
      WALLET_COMMANDS_TOPIC: 'tally.wallet.commands',
      WALLET_OUTCOMES_TOPIC: 'tally.wallet.outcomes',
      QUEUE_COMMANDS_TOPIC: 'tally.queue.commands',
      VOTE_REGIONS: ['kr', 'jp', 'tw', 'na'],
      VOTE_BALLOTS_TOPIC_TEMPLATE: '{region}.tally.votes.ballots',
      POLL_DEFINITIONS_TOPIC: 'tally.votes.polls',
    });
    expect(config.apiKeys.usingDevelopmentKey).toBe(true);
  });

  it('refuses to start in production without keys, together with every other problem', () => {
    expect(problemsOf({ TALLY_ENV: 'production', TALLY_REQUIRE_TLS: 'false', PORT: 'eighty' })).toEqual([
      'PORT: must be a whole number (got "eighty")',
      'API_KEYS: is required when TALLY_ENV is production (the development key is refused there)',
      'TICKET_KEY: is required when TALLY_ENV is production (e.g. `openssl rand -base64 48`)',
    ]);
  });

  it('takes a ticket key of 32 characters or more, never echoing it, and never the public development one', () => {
    expect(gatewayConfig({ TICKET_KEY: 't'.repeat(32) }).ticketKey).toEqual({
      key: 't'.repeat(32),
      usingDevelopmentKey: false,
    });
    expect(gatewayConfig({}).ticketKey.usingDevelopmentKey).toBe(true);
    const short = 'too-short-a-ticket-key';
    expect(problemsOf({ TICKET_KEY: short })).toEqual([
      'TICKET_KEY: must be at least 32 characters (e.g. `openssl rand -base64 48`)',
    ]);
    expect(problemsOf({ TICKET_KEY: 'tally-development-ticket-key-not-secret' })).toEqual([
      'TICKET_KEY: is the public development key; leave it unset to use it locally, or set a secret',
    ]);
  });

  it('reads the abuse limits', () => {
    expect(gatewayConfig({})).toMatchObject({
      ADDRESS_RATE_LIMIT_PER_SECOND: 100,
      CONNECTIONS_PER_ADDRESS: 512,
      TRUSTED_PROXIES: [],
      CONSOLE_STREAMS_PER_KEY: 10,
    });
    expect(gatewayConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7' }).TRUSTED_PROXIES).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
    ]);
  });

  it('reads the CORS origins: none by default, exact origins, or "*" alone for any', () => {
    expect(gatewayConfig({}).CORS_ORIGINS).toEqual([]);
    expect(gatewayConfig({ CORS_ORIGINS: '' }).CORS_ORIGINS).toEqual([]);
    expect(
      gatewayConfig({ CORS_ORIGINS: ' https://shop.example, http://127.0.0.1:5173 ,https://[::1]:8443,' }).CORS_ORIGINS,
    ).toEqual(['https://shop.example', 'http://127.0.0.1:5173', 'https://[::1]:8443']);
    expect(gatewayConfig({ CORS_ORIGINS: '*' }).CORS_ORIGINS).toBe('*');
    expect(gatewayConfig({ CORS_ORIGINS: ' * ' }).CORS_ORIGINS).toBe('*');
  });

  it('names every CORS origin a browser would never send, with how to write it, beside every other problem', () => {
    const bad = [
      'https://shop.example/app',
      'shop.example',
      'https://shop.example/',
      'ftp://files.example',
      'https://Shop.Example:443',
      'https://',
      'http://127.0.0.1:5173',
      'http://127.0.0.1:5173',
    ].join(',');
    expect(problemsOf({ CORS_ORIGINS: bad, PORT: 'eighty' })).toEqual([
      'PORT: must be a whole number (got "eighty")',
      `CORS_ORIGINS: ${[
        '"https://shop.example/app" is not an origin: it has a path, query or trailing slash (only scheme://host[:port], here https://shop.example)',
        '"shop.example" is not an origin: it has no scheme (https:// or http://)',
        '"https://shop.example/" is not an origin: it has a path, query or trailing slash (only scheme://host[:port], here https://shop.example)',
        '"ftp://files.example" is not an origin: the scheme must be https or http',
        '"https://Shop.Example:443" is not an origin as browsers send it: write https://shop.example',
        '"https://" is not an origin: not a URL',
        'names http://127.0.0.1:5173 more than once',
      ].join('; ')} (got ${JSON.stringify(bad)})`,
    ]);
    expect(problemsOf({ CORS_ORIGINS: '*,https://shop.example' })).toEqual([
      'CORS_ORIGINS: "*" (any origin) stands alone, not beside other origins (got "*,https://shop.example")',
    ]);
  });

  it('never echoes an API key it refuses', () => {
    const secret = 'short-secret';
    const problems = problemsOf({ API_KEYS: JSON.stringify([{ key: secret, name: 'x', scopes: ['viewers:write'] }]) });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^API_KEYS: entry 0 \(x\): key must be/);
    expect(problems[0]).not.toContain(secret);
  });

  it('reads the side topics the console counts beside the lag, as every consumer writes them', () => {
    expect(gatewayConfig({})).toMatchObject({ DLQ_TOPIC: 'tally.dead-letters', LATE_TOPIC: 'tally.late' });
    expect(gatewayConfig({ DLQ_TOPIC: 'run.dead-letters', LATE_TOPIC: 'run.late' })).toMatchObject({
      DLQ_TOPIC: 'run.dead-letters',
      LATE_TOPIC: 'run.late',
    });
    expect(gatewayConfig({ LATE_TOPIC: '' }).LATE_TOPIC).toBe('tally.late');
  });

  it('reads the assets the ledger counts (ASSETS), the common ones by default, and names every problem', () => {
    const defaults = gatewayConfig({}).ASSETS;
    expect(defaults.rule('KRW')?.scale).toBe(2);
    expect(defaults.rule('gold')?.scale).toBe(2);
    expect(defaults.rule('doubloons')).toBeUndefined();
    const configured = gatewayConfig({
      ASSETS: '{"KRW":{"scale":0},"points":{"scale":2,"maxAmount":"100.00"}}',
    }).ASSETS;
    expect(configured.names).toEqual(['KRW', 'points']);
    expect(configured.rule('points')?.maxAmountMinor).toBe(10_000n);
    expect(problemsOf({ ASSETS: '{"KRW":{"scale":9}}' })).toEqual([
      'ASSETS: KRW.scale must be a whole number from 0 to 8 (got "{\\"KRW\\":{\\"scale\\":9}}")',
    ]);
  });

  it('bounds the write deadline (acknowledgement and ?wait=true together) to 60 s', () => {
    expect(gatewayConfig({ WRITE_DEADLINE_MS: '60000' }).WRITE_DEADLINE_MS).toBe(60_000);
    expect(problemsOf({ WRITE_DEADLINE_MS: '60001' })).toEqual([
      'WRITE_DEADLINE_MS: must be between 50 and 60000 (got "60001")',
    ]);
  });

  it('tells a deployment that still sets the two deadlines WRITE_DEADLINE_MS replaced', () => {
    expect(problemsOf({ KAFKA_ACK_TIMEOUT_MS: '2000', WALLET_WAIT_MS: '5000' })).toEqual([
      'KAFKA_ACK_TIMEOUT_MS: no longer read; WRITE_DEADLINE_MS is the one deadline of a write (ms) and replaced it',
      'WALLET_WAIT_MS: no longer read; WRITE_DEADLINE_MS is the one deadline of a write (ms) and replaced it',
    ]);
  });

  it('takes configured keys in production', () => {
    const keys = [{ keySha256: 'c'.repeat(64), name: 'players', scopes: ['viewers:write'] }];
    const config = gatewayConfig({
      TALLY_ENV: 'production',
      TALLY_REQUIRE_TLS: 'false',
      API_KEYS: JSON.stringify(keys),
      TICKET_KEY: 'x'.repeat(48),
    });
    expect(config.apiKeys).toEqual({
      keys: [{ name: 'players', scopes: ['viewers:write'], sha256: Buffer.from('c'.repeat(64), 'hex') }],
      usingDevelopmentKey: false,
    });
    expect(problemsOf({ TALLY_ENV: 'prod' })).toEqual([
      'TALLY_ENV: must be one of development, test, production (got "prod")',
    ]);
  });

  it('reads the vote regions as a list of region ids, each once, naming every bad one', () => {
    expect(gatewayConfig({ VOTE_REGIONS: ' kr , eu-west-1' }).VOTE_REGIONS).toEqual(['kr', 'eu-west-1']);
    expect(problemsOf({ VOTE_REGIONS: 'KR,jp,jp, ,x.y' })).toEqual([
      'VOTE_REGIONS: "KR", "", "x.y" are not region ids (^[a-z][a-z0-9-]{0,15}$); names jp more than once (got "KR,jp,jp, ,x.y")',
    ]);
    expect(problemsOf({ VOTE_REGIONS: 'kr,' })).toEqual([
      'VOTE_REGIONS: "" is not a region id (^[a-z][a-z0-9-]{0,15}$) (got "kr,")',
    ]);
    expect(problemsOf({ VOTE_REGIONS: `a${'b'.repeat(16)}` })).toHaveLength(1);
  });

  it('needs {region} in the ballots topic template, and a legal topic name around it', () => {
    expect(
      gatewayConfig({ VOTE_BALLOTS_TOPIC_TEMPLATE: 'test.run-1.{region}.ballots' }).VOTE_BALLOTS_TOPIC_TEMPLATE,
    ).toBe('test.run-1.{region}.ballots');
    expect(problemsOf({ VOTE_BALLOTS_TOPIC_TEMPLATE: 'tally.votes.ballots' })).toEqual([
      'VOTE_BALLOTS_TOPIC_TEMPLATE: must contain {region} (got "tally.votes.ballots")',
    ]);
    expect(problemsOf({ VOTE_BALLOTS_TOPIC_TEMPLATE: 'votes/{region}' })).toEqual([
      'VOTE_BALLOTS_TOPIC_TEMPLATE: must otherwise be a Kafka topic name (A-Z a-z 0-9 . _ -) (got "votes/{region}")',
    ]);
    expect(problemsOf({ VOTE_RESULTS_URL: 'merger:8095' })).toEqual([
      'VOTE_RESULTS_URL: must be a http or https URL (got "merger:8095")',
    ]);
  });
});
