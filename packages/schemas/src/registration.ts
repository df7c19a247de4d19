import { valueSubject } from './codec.js';

/** The registry refused a schema change because it would break readers of what is already registered. */
export class IncompatibleSchemaError extends Error {
  constructor(
    readonly subject: string,
    readonly messages: string[],
  ) {
    super(`schema for ${subject} is not BACKWARD compatible with the registered version${messages.length ? `: ${messages.join('; ')}` : ''}`);
    this.name = 'IncompatibleSchemaError';
  }
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/**
 * Talks the Confluent Schema Registry REST API (also served by Apicurio under /apis/ccompat/v7), so the same
 * code registers against the local stack and against Confluent in production.
 */
export class SchemaRegistryAdmin {
  constructor(private readonly baseUrl: string) {}

  /** Whether `schema` may be registered under `subject`: true when the subject is new. */
  async checkCompatibility(subject: string, schema: object): Promise<{ compatible: boolean; messages: string[] }> {
    const response = await this.request('POST', `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`, {
      schemaType: 'AVRO',
      schema: JSON.stringify(schema),
    });
    if (response.status === 404) return { compatible: true, messages: [] };
    const body = (await this.json(response, `compatibility check of ${subject}`)) as { is_compatible: boolean; messages?: string[] };
    return { compatible: body.is_compatible, messages: body.messages ?? [] };
  }

  /** Sets BACKWARD compatibility on the subject, checks, then registers; returns the schema id. */
  async register(subject: string, schema: object): Promise<number> {
    const { compatible, messages } = await this.checkCompatibility(subject, schema);
    if (!compatible) throw new IncompatibleSchemaError(subject, messages);
    const registered = await this.request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
      schemaType: 'AVRO',
      schema: JSON.stringify(schema),
    });
    if (registered.status === 409) throw new IncompatibleSchemaError(subject, [await registered.text()]);
    const { id } = (await this.json(registered, `registration of ${subject}`)) as { id: number };
    await this.setCompatibility(subject, 'BACKWARD');
    return id;
  }

  async setCompatibility(subject: string, level: 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FULL' | 'NONE'): Promise<void> {
    const response = await this.request('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
    await this.json(response, `setting ${level} on ${subject}`);
  }

  async compatibility(subject: string): Promise<string | undefined> {
    const response = await this.request('GET', `/config/${encodeURIComponent(subject)}`);
    if (response.status === 404) return undefined;
    const body = (await this.json(response, `reading the compatibility of ${subject}`)) as { compatibilityLevel?: string; compatibility?: string };
    return body.compatibilityLevel ?? body.compatibility;
  }

  async subjects(): Promise<string[]> {
    return (await this.json(await this.request('GET', '/subjects'), 'listing subjects')) as string[];
  }

  async ping(): Promise<void> {
    await this.subjects();
  }

  registerTopicValue(topic: string, schema: object): Promise<number> {
    return this.register(valueSubject(topic), schema);
  }

  private request(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.baseUrl.replace(/\/$/, '')}${path}`, {
      method,
      headers: { accept: CONTENT_TYPE, ...(body === undefined ? {} : { 'content-type': CONTENT_TYPE }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  }

  private async json(response: Response, what: string): Promise<unknown> {
    if (!response.ok) throw new Error(`schema registry ${what} failed: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  }
}
