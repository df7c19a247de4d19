/** What the workload did, per product: the "events sent" side of the report. */
export const PRODUCTS = ['viewers', 'counters', 'wallet', 'queue', 'votes'] as const;
export type Product = (typeof PRODUCTS)[number];

export type PerProduct = Record<Product, number>;

export const zeros = (): PerProduct => ({ viewers: 0, counters: 0, wallet: 0, queue: 0, votes: 0 });

export class LoadStats {
  /** Writes sent (each once, however many attempts it took). */
  readonly sent = zeros();
  /** Writes the gateway accepted (2xx); equal to `sent` once the load is paused. */
  readonly accepted = zeros();
  /** Attempts beyond the first: 5xx, 429, timeouts and lost connections, retried with the same (source, seq). */
  readonly retried = zeros();
  /** Writes answered 4xx: requests the API refuses, so a bug of the workload (must stay 0). */
  readonly refused = zeros();
  /** Accepted writes the domain decides against: debits that would overdraw, a user's second ballot. */
  readonly rejectedByDomain = zeros();
  /** Writes not generated because every source of the product was busy (the rate's shortfall, e.g. while Kafka is down). */
  readonly skipped = zeros();
  readonly refusals: string[] = [];
  /** Duplicates the workload injected on purpose: writes POSTed again over HTTP, records produced again to Kafka. */
  readonly injected = { reposted: zeros(), redelivered: zeros() };

  pending(): PerProduct {
    const pending = zeros();
    for (const product of PRODUCTS)
      pending[product] = this.sent[product] - this.accepted[product] - this.refused[product];
    return pending;
  }

  refuse(product: Product, message: string): void {
    this.refused[product]++;
    if (this.refusals.length < 20) this.refusals.push(`${product}: ${message}`);
  }
}

/** The product a service of the environment serves (its consumer groups' lag and records count there). */
export function productOfService(service: string): Product | undefined {
  if (service === 'viewer-aggregator') return 'viewers';
  if (service === 'counter-materializer') return 'counters';
  if (service === 'wallet-ledger') return 'wallet';
  if (service === 'queue-admitter') return 'queue';
  if (service.startsWith('vote-')) return 'votes';
  return undefined;
}

/** What a fault the workload makes itself did: a line for the report, and its numbers. */
export interface Injected {
  detail: string;
  numbers: Record<string, number>;
}

/** Consumer groups (service → its groups, as the environment names them) by the product their service serves. */
export function groupsByProduct(consumerGroups: Record<string, string[]>): Map<Product, string[]> {
  const groups = new Map<Product, string[]>();
  for (const [service, ids] of Object.entries(consumerGroups)) {
    const product = productOfService(service);
    if (product) groups.set(product, [...(groups.get(product) ?? []), ...ids]);
  }
  return groups;
}
