import { fileURLToPath } from 'node:url';
import { TOPICS } from '@tally/contracts';
import { startConsumingService, type RunningService } from '@tally/service-kit';
import { walletRoutes } from './adapters/http.js';
import { LedgerStore } from './adapters/postgres-ledger.js';
import type { WalletLedgerConfig } from './config.js';
import { walletCommandHandler } from './wallet-ledger.js';

export interface RunningLedger extends RunningService {
  store: LedgerStore;
}

const migrations = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Config → adapters → runtime. No Redis: Postgres is the source of truth and answers reads by primary key,
 * so there is no cache to lose or to rebuild.
 */
export async function startWalletLedger(
  config: WalletLedgerConfig,
  now: () => number = Date.now,
): Promise<RunningLedger> {
  const { exposed: store, ...service } = await startConsumingService({
    name: 'wallet-ledger',
    config,
    migrations: [{ dir: migrations }],
    redis: false,
    wire: ({ pool, producer, codec }) => {
      const store = new LedgerStore(pool, config.DB_SCHEMA);
      return {
        codecs: [codec(config.WALLET_COMMANDS_TOPIC, TOPICS.walletCommands)],
        handler: walletCommandHandler({
          store,
          producer,
          outcomes: codec(config.WALLET_OUTCOMES_TOPIC, TOPICS.walletOutcomes),
        }),
        routes: walletRoutes({ store, now }),
        exposed: store,
      };
    },
  });
  return { ...service, store };
}
