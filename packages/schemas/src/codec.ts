import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro, { type Type } from 'avsc';
import { schemas, type SchemaName, type SchemaTypes } from './generated.js';

/** A Confluent-framed record starts with magic byte 0 and a 4-byte schema id. */
const WIRE_HEADER_BYTES = 5;

/** The record could never be decoded, however often we retry: it belongs in the dead-letter topic. */
export class UndecodableRecordError extends Error {
  constructor(
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'UndecodableRecordError';
  }
}

/** Subject of a topic's record values under the TopicNameStrategy, which Confluent tools assume by default. */
export const valueSubject = (topic: string) => `${topic}-value`;

/**
 * Encodes and decodes one topic's values in the Confluent wire format. The writer id comes from the registry
 * (the schema must have been registered, by `tally stack up` or the build); decoding resolves any registered
 * writer schema to this reader schema, so consumers keep working across BACKWARD-compatible changes.
 */
export class TopicCodec<T> {
  private writerId: Promise<number> | undefined;
  private readonly reader: Type;
  private readonly decoders = new Map<number, Promise<(payload: Buffer) => T>>();

  constructor(
    private readonly registry: SchemaRegistry,
    readonly topic: string,
    readonly schema: object,
  ) {
    this.reader = avro.Type.forSchema(schema as avro.Schema);
  }

  /**
   * Looks up the id of our schema under the topic's subject, once: thousands of concurrent first sends share
   * one request. Fails clearly if the schema was never registered (and lets a later call try again).
   */
  writerSchemaId(): Promise<number> {
    this.writerId ??= this.lookUpWriterId().catch((error: unknown) => {
      this.writerId = undefined;
      throw error;
    });
    return this.writerId;
  }

  private async lookUpWriterId(): Promise<number> {
    const subject = valueSubject(this.topic);
    try {
      return await this.registry.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: JSON.stringify(this.schema) });
    } catch (error) {
      throw new Error(`schema for subject ${subject} is not registered in the schema registry (run \`pnpm tally stack up\`): ${describe(error)}`, { cause: error });
    }
  }

  /**
   * Our own Avro type writes the body: the id names exactly our schema, and the registry client's encode would
   * look the schema up again and copy the bytes once more for every record (a gateway batch encodes 1,000).
   */
  async encode(value: T): Promise<Buffer> {
    const writerId = await this.writerSchemaId();
    const body = this.reader.toBuffer(value);
    const framed = Buffer.allocUnsafe(WIRE_HEADER_BYTES + body.length);
    framed[0] = 0;
    framed.writeInt32BE(writerId, 1);
    body.copy(framed, WIRE_HEADER_BYTES);
    return framed;
  }

  /**
   * Throws UndecodableRecordError for bytes that can never decode (no magic byte, unknown schema id, broken
   * Avro); any other error (registry unreachable) is transient and left to the caller's retry.
   */
  async decode(bytes: Buffer | null): Promise<T> {
    if (!bytes || bytes.length < WIRE_HEADER_BYTES || bytes[0] !== 0) {
      throw new UndecodableRecordError(`not a Confluent-framed Avro record (${bytes ? `${bytes.length} bytes, first byte ${bytes[0]}` : 'null value'})`);
    }
    const writerId = bytes.readInt32BE(1);
    const decoder = await this.decoderFor(writerId);
    try {
      return decoder(bytes.subarray(WIRE_HEADER_BYTES));
    } catch (error) {
      throw new UndecodableRecordError(`cannot decode record with schema id ${writerId}: ${describe(error)}`, error);
    }
  }

  /**
   * One decoder per writer schema id, built once: parsing a schema and building a resolver costs far more than
   * decoding a record, and the registry client would otherwise do both for every record.
   */
  private decoderFor(writerId: number): Promise<(payload: Buffer) => T> {
    let decoder = this.decoders.get(writerId);
    if (!decoder) {
      decoder = this.buildDecoder(writerId);
      this.decoders.set(writerId, decoder);
      decoder.catch(() => this.decoders.delete(writerId));
    }
    return decoder;
  }

  private async buildDecoder(writerId: number): Promise<(payload: Buffer) => T> {
    let writer: Type;
    try {
      writer = (await this.registry.getSchema(writerId)) as unknown as Type;
    } catch (error) {
      const status = (error as { status?: number }).status;
      if ((status !== undefined && status >= 500) || (status === undefined && isNetworkError(error))) throw error;
      throw new UndecodableRecordError(`cannot decode record with schema id ${writerId}: ${describe(error)}`, error);
    }
    if (this.reader.equals(writer)) return (payload) => this.reader.fromBuffer(payload) as T;
    const resolver = this.reader.createResolver(writer);
    return (payload) => this.reader.fromBuffer(payload, resolver) as T;
  }
}

function isNetworkError(error: unknown): boolean {
  const text = describe(error);
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up|fetch failed|timeout/i.test(text);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createSchemaRegistry(url: string): SchemaRegistry {
  return new SchemaRegistry({ host: url, retry: { retries: 3, initialRetryTimeInSecs: 0.2, maxRetryTimeInSecs: 2 } });
}

/** A codec for one of the schemas in schemas/, typed by its generated TypeScript type. */
export function topicCodec<N extends SchemaName>(registry: SchemaRegistry, topic: string, schemaName: N): TopicCodec<SchemaTypes[N]> {
  return new TopicCodec<SchemaTypes[N]>(registry, topic, schemas[schemaName]);
}
