import { describe, expect, inject, it } from 'vitest';
import { uniqueName } from '@tally/testkit';
import { IncompatibleSchemaError, SchemaRegistryAdmin, createSchemaRegistry, TopicCodec } from '../src/index.js';

const stack = inject('stack');
const admin = new SchemaRegistryAdmin(stack.registryUrl);

const v1 = { type: 'record', name: 'Like', namespace: 'tally.test', fields: [{ name: 'userId', type: 'string' }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'liked', type: 'boolean', default: true }] };
const breaking = { ...v1, fields: [...v1.fields, { name: 'itemId', type: 'string' }] };

describe('schema registration under BACKWARD compatibility', () => {
  it('registers, accepts a compatible change, and refuses an incompatible one with the registry’s reasons', async () => {
    const subject = `${uniqueName('test.likes')}-value`;
    const first = await admin.register(subject, v1);
    expect(await admin.compatibility(subject)).toBe('BACKWARD');
    expect(await admin.register(subject, v1)).toBe(first); // registering the same schema again is harmless

    expect(await admin.checkCompatibility(subject, v2)).toMatchObject({ compatible: true });
    const second = await admin.register(subject, v2);
    expect(second).not.toBe(first);

    expect(await admin.checkCompatibility(subject, breaking)).toMatchObject({ compatible: false });
    await expect(admin.register(subject, breaking)).rejects.toThrow(IncompatibleSchemaError);
  });

  it('decodes records written with an older schema into the reader’s newer shape', async () => {
    const topic = uniqueName('test.evolve');
    await admin.registerTopicValue(topic, v1);
    await admin.registerTopicValue(topic, v2);
    const registry = createSchemaRegistry(stack.registryUrl);
    const old = new TopicCodec<{ userId: string }>(registry, topic, v1);
    const current = new TopicCodec<{ userId: string; liked: boolean }>(registry, topic, v2);
    const bytes = await old.encode({ userId: 'u1' });
    expect(bytes.readInt32BE(1)).toBe(await old.writerSchemaId());
    expect(await current.decode(bytes)).toEqual({ userId: 'u1', liked: true });
  });

  it('frames records byte for byte as the registry client does', async () => {
    const topic = uniqueName('test.frame');
    await admin.registerTopicValue(topic, v2);
    const registry = createSchemaRegistry(stack.registryUrl);
    const codec = new TopicCodec<{ userId: string; liked: boolean }>(registry, topic, v2);
    const value = { userId: 'u-ü-1', liked: false };
    expect(await codec.encode(value)).toEqual(await registry.encode(await codec.writerSchemaId(), value));
  });

  it('says which subject is missing when a codec’s schema was never registered', async () => {
    const codec = new TopicCodec(createSchemaRegistry(stack.registryUrl), uniqueName('test.unregistered'), v1);
    await expect(codec.encode({ userId: 'x' })).rejects.toThrow(/is not registered/);
  });
});
