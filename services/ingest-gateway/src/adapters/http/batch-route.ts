import type { FastifyInstance } from 'fastify';
import { BATCH_BODY_LIMIT } from '@tally/contracts';
import { invalidFields, invalidRequest, type ApiError, type ErrorDetail } from '../../domain/api-error.js';
import type { ApiKeyring, ResourceKind, Scope } from '../../domain/api-keys.js';
import { withWriteDeadline } from './acknowledged-write.js';
import { presentedBy, refusal, requireScope } from './auth.js';
import { batchBodyOf, batchEnvelope, batchResponseOf, writeErrors, writeSecurity, type Properties } from './schemas.js';
import type { Validation } from './validation.js';

/** What every batch route is given by its family of routes. */
export interface BatchDeps {
  keyring: ApiKeyring;
  validation: Validation;
  clock: () => number;
  /** WRITE_DEADLINE_MS: how long the whole batch may take to be acknowledged. */
  writeDeadlineMs: number;
}

/** What a valid item becomes: the value to produce, and its 202 result (its id, and whatever else its single route answers). */
export interface AcceptedItem<Value> {
  value: Value;
  answer: { id: string; [more: string]: string };
}

/** One batch route: the single route's rules per item, its write for all the valid items at once. */
export interface BatchRoute<Item, Value> {
  url: string;
  tag: string;
  /** What one item is, e.g. "heartbeats of any streams", worded after "Up to 1000". */
  items: string;
  /** What the docs say past the common description: where the items go, what else an item is checked for. */
  description?: string;
  /** The single route's scope. */
  scope: Scope;
  /** The JSON schema of one item: the single route's body with what its path names. */
  item: object;
  /** What a 202 result carries besides its id (documented, and kept by the serializer). */
  answer?: Properties;
  /** The users or queues an item names: a key limited to some must serve every one, as on the single route. */
  names?: { kind: ResourceKind; ids: (item: Item) => readonly string[] };
  /** The single route's checks past the schema (an unknown asset, a region not taken), fields named under `where`. */
  problems?: (item: Item, where: string) => ErrorDetail[];
  accept: (item: Item, receivedAtMs: number) => AcceptedItem<Value>;
  /** Produces every value of the batch, acknowledged by Kafka, or throws the 503 (acknowledgedWrite). */
  write: (values: Value[], deadline: AbortSignal) => Promise<void>;
}

type Result =
  | { index: number; status: 202; id: string; [more: string]: string | number }
  | ({ index: number; status: 400 } & ApiError);

/** The items of a batch judged one by one: the valid ones' values, and a result per item in order. */
interface Judged<Value> {
  values: Value[];
  results: Result[];
  /** Every user or queue the valid items name (BatchRoute.names). */
  named: string[];
}

const BATCH_DESCRIPTION =
  'Answers 200 {accepted, rejected, results} with one result per item, in order: 202 with what the single route answers, ' +
  'or 400 with that item’s error (fields named items.<index>.<field>). Valid items are produced and acknowledged by Kafka before the answer; ' +
  'invalid ones are never produced. If Kafka does not acknowledge, the whole batch is answered 503 and may be retried as is: ' +
  'every item’s (source, seq) makes that harmless. A key limited to some users or queues is refused (403) the whole batch if an item names another.';

/**
 * Registers a batch route: up to 1000 items of one kind of write in one request. The envelope is validated as a
 * whole; each item by the single route's rules on its own, so one bad item is refused alone (400 in its result)
 * while the others are produced together, in one write under one deadline: that is what makes a batch cheap.
 */
export function batchRoute<Item, Value>(app: FastifyInstance, deps: BatchDeps, route: BatchRoute<Item, Value>): void {
  const validItem = deps.validation.compileBody<Item>(route.item);

  const judge = (items: readonly unknown[], receivedAtMs: number): Judged<Value> => {
    const judged: Judged<Value> = { values: [], results: [], named: [] };
    items.forEach((item, index) => {
      const refused = refusalOf(item, `items.${index}`);
      if (refused) return void judged.results.push({ index, status: 400, ...refused });
      const { value, answer } = route.accept(item as Item, receivedAtMs);
      judged.values.push(value);
      judged.results.push({ index, status: 202, ...answer });
      if (route.names) judged.named.push(...route.names.ids(item as Item));
    });
    return judged;
  };

  const refusalOf = (item: unknown, where: string): ApiError | undefined => {
    if (!validItem(item)) return invalidRequest(where, validItem.errors ?? []);
    const problems = route.problems?.(item, where) ?? [];
    return problems.length > 0 ? invalidFields(problems) : undefined;
  };

  app.post<{ Body: { items: unknown[] } }>(
    route.url,
    {
      bodyLimit: BATCH_BODY_LIMIT,
      onRequest: requireScope(deps.keyring, route.scope),
      // the envelope is validated as a whole; items one by one in the handler, so a bad item is refused alone
      validatorCompiler: () => deps.validation.compileBody(batchEnvelope),
      schema: {
        tags: [route.tag],
        summary: `Up to 1000 ${route.items} in one request; each item is accepted (202) or refused (400) on its own`,
        description: route.description ? `${BATCH_DESCRIPTION} ${route.description}` : BATCH_DESCRIPTION,
        security: writeSecurity,
        body: batchBodyOf(route.item),
        response: { 200: batchResponseOf(route.answer ?? {}), ...writeErrors },
      },
    },
    async (request, reply) => {
      const { values, results, named } = judge(request.body.items, deps.clock());
      if (route.names && named.length > 0) {
        const permitted = deps.keyring.permit(presentedBy(request, deps.keyring), route.scope, {
          kind: route.names.kind,
          ids: named,
        });
        if (!permitted.ok) throw refusal(permitted);
      }
      if (values.length > 0) await withWriteDeadline(deps.writeDeadlineMs, (deadline) => route.write(values, deadline));
      return reply.code(200).send({ accepted: values.length, rejected: results.length - values.length, results });
    },
  );
}
