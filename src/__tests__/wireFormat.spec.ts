import * as arrow from 'apache-arrow';
import { decodeMetricStream } from '../wire/decode';
import { bucketIndices, BucketDecimator } from '../wire/buckets';
import { WIRE_COLUMNS, wireSchema } from '../wire/schema';
import { metricStream } from './metricArrow';

describe('wireSchema', () => {
  it('has the wire columns in order, none nullable, no int64', () => {
    const schema = wireSchema(arrow);
    expect(schema.fields.map(field => field.name)).toEqual(
      Object.values(WIRE_COLUMNS)
    );
    expect(schema.fields.every(field => !field.nullable)).toBe(true);
    const [runId, key, ...numbers] = schema.fields;
    for (const field of [runId, key]) {
      expect(arrow.DataType.isDictionary(field.type)).toBe(true);
      const type = field.type as arrow.Dictionary;
      expect(arrow.DataType.isUtf8(type.dictionary)).toBe(true);
      expect(type.indices.bitWidth).toBe(32);
    }
    for (const field of numbers) {
      expect(field.type).toBeInstanceOf(arrow.Float64);
    }
  });

  it('is the schema of the fixtures, which the decoder reads', async () => {
    const bytes = metricStream([
      { run: 'r', key: 'loss', step: 0, value: 1 },
      { run: 'r', key: 'loss', step: 1, value: 0.5 }
    ]);
    const table = arrow.tableFromIPC(bytes);
    expect(
      table.schema.fields.map(f => [f.name, String(f.type), f.nullable])
    ).toEqual(
      wireSchema(arrow).fields.map(f => [f.name, String(f.type), f.nullable])
    );
    const [series] = await decodeMetricStream(bytes);
    expect(Array.from(series.values)).toEqual([1, 0.5]);
  });
});

describe('bucketIndices', () => {
  it('keeps a series that fits whole, in step order, without NaN steps', () => {
    expect(bucketIndices([3, 1, NaN, 2, 1], [0, 0, 0, 0, 0], 8)).toEqual([
      1, 4, 3, 0
    ]);
  });

  it("keeps each bucket's first, last, min and max beyond maxPoints", () => {
    const n = 1000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map(i => Math.sin(i / 10));
    y[500] = 99;
    y[700] = -99;
    const kept = bucketIndices(x, y, 40);
    expect(kept.length).toBeLessThanOrEqual(40);
    expect(kept).toContain(500);
    expect(kept).toContain(700);
    expect(kept[0]).toBe(0);
    expect(kept[kept.length - 1]).toBe(n - 1);
    expect([...kept].sort((a, b) => a - b)).toEqual(kept);
  });

  it('is what the incremental decimator keeps', () => {
    const decimator = new BucketDecimator(16);
    const x = Array.from({ length: 200 }, (_, i) => (i * 7919) % 200);
    x.forEach((step, i) => decimator.add(step, Math.cos(step), i));
    expect(decimator.kept().map(p => p.a)).toEqual(
      bucketIndices(
        x,
        x.map(step => Math.cos(step)),
        16
      )
    );
    expect(decimator.bucketCount).toBeLessThanOrEqual(4);
  });
});
