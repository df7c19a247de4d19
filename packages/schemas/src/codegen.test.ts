import { describe, expect, it } from 'vitest';
import { renderTypes } from './codegen.js';

describe('renderTypes', () => {
  it('turns records, enums, arrays, maps, unions and nested named types into TypeScript', () => {
    const output = renderTypes([
      {
        file: 'x.avsc',
        schema: {
          type: 'record',
          name: 'Vote',
          namespace: 'tally.votes',
          doc: 'One vote.',
          fields: [
            { name: 'pollId', type: 'string', doc: 'Which poll.' },
            { name: 'count', type: 'long' },
            { name: 'region', type: { type: 'enum', name: 'Region', symbols: ['kr', 'jp'] } },
            { name: 'previous', type: ['null', 'Region'], default: null },
            { name: 'tags', type: { type: 'array', items: 'string' } },
            { name: 'shares', type: { type: 'map', values: 'double' } },
            { name: 'raw', type: 'bytes' },
            { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
          ],
        },
      },
    ]);
    expect(output).toContain('/** One vote. */\nexport interface Vote {');
    expect(output).toContain('  /** Which poll. */\n  pollId: string;');
    expect(output).toContain('  count: number;');
    expect(output).toContain('  region: Region;');
    expect(output).toContain('  previous: null | Region;');
    expect(output).toContain('  tags: Array<string>;');
    expect(output).toContain('  shares: Record<string, number>;');
    expect(output).toContain('  raw: Buffer;');
    expect(output).toContain('  at: number;');
    expect(output).toContain('export type Region = "kr" | "jp";');
    expect(output).toContain('"tally.votes.Vote": Vote;');
  });

  it('refuses two types that would get the same TypeScript name', () => {
    const record = (ns: string) => ({ type: 'record', name: 'Same', namespace: ns, fields: [] });
    expect(() => renderTypes([{ file: 'a', schema: record('a') }, { file: 'b', schema: record('b') }])).toThrow(/Same/);
  });

  it('refuses a reference to an unknown type', () => {
    expect(() => renderTypes([{ file: 'a', schema: { type: 'record', name: 'R', fields: [{ name: 'x', type: 'Nope' }] } }])).toThrow(/unknown Avro type reference "Nope"/);
  });
});
