import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { documentEmptyBodiesOptional } from './empty-body.js';

/**
 * The OpenAPI document at /docs/json and its UI at /docs. Installed on the root before any route family, since it
 * learns the routes as they are added (a plugin of its own would only see its own routes).
 */
export async function installApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tally public API',
        version: '0.1.0',
        description:
          'One base URL for writes (acknowledged by Kafka before 202) and reads (routed to the service that owns the state). ' +
          'Every error is {"error": "<code>", "message": "<sentence>", "details": [{"field", "message"}]}.\n\n' +
          "**Keys and scopes.** Writes need `Authorization: Bearer <key>` with the write's scope. Public aggregates (viewer counts, counts and rankings, " +
          "poll results, a queue's figures, the admission check and keys) are open and rate limited per client address. Private data needs a read scope: " +
          "a wallet and its history `wallets:read`; a ticket (with its admission token) `queues:read`, or the ticket's own `ticketSecret` from the join. " +
          'A key may be limited to some users or queues (ids or prefixes such as "acme:*"): anyone else\'s is 403. The console needs `console:read`. ' +
          'Every route is rate limited per key, or per client address without one: 429 with Retry-After.',
      },
      tags: [
        { name: 'viewers', description: 'Live viewers' },
        { name: 'counters', description: 'Counters and rankings' },
        {
          name: 'wallets',
          description:
            'Wallet ledger: balances per asset kept as integer minor units at the scale ASSETS gives each asset, every write in the history exactly once; ' +
            'credits, debits, grants, transfers between two users, and linked groups applied all or none. With ?wait=true a write answers its outcome, ' +
            'or 409 id_reused when its (source, seq) was already used for a different write',
        },
        {
          name: 'holds',
          description:
            'Funds kept aside until captured (all or part, paid to the hold’s `to` if it named one; the rest released), released, or expired after its timeout',
        },
        {
          name: 'queues',
          description: 'Waiting queue: first come, first served; the server admits, clients poll their ticket',
        },
        { name: 'polls', description: 'Global votes: each region counts its own; the merger ranks the world' },
        { name: 'ops', description: 'Health, readiness and metrics' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key from API_KEYS. Its scopes say what it may do (a scope per kind of write; wallets:read and queues:read for private data; console:read for the console); ' +
              'it may be limited to some users (wallets) or queues, by id or id prefix ("acme:*").',
          },
          ticketSecret: {
            type: 'http',
            scheme: 'bearer',
            description:
              'The ticketSecret a join answered with: reads that one ticket (with its admission token) and nothing else',
          },
        },
      },
    },
    transformObject: documentEmptyBodiesOptional,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
