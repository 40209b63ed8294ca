import {
  Dictionary,
  Float64,
  Int32,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray
} from 'apache-arrow';
import {
  decodeMetricStream,
  groupMetricTable,
  loadArrow,
  toUint8Array
} from '../wire/decode';

/**
 * Arrow IPC stream bytes with the wire columns of the metric stream.
 */
function metricBytes(rows: {
  run_id: string[];
  key: string[];
  step: number[];
  timestamp: number[];
  value: number[];
}): Uint8Array {
  const dict = () => new Dictionary(new Utf8(), new Int32());
  const table = new Table({
    run_id: vectorFromArray(rows.run_id, dict()),
    key: vectorFromArray(rows.key, dict()),
    step: vectorFromArray(rows.step, new Float64()),
    timestamp: vectorFromArray(rows.timestamp, new Float64()),
    value: vectorFromArray(rows.value, new Float64())
  });
  return tableToIPC(table, 'stream');
}

const ROWS = {
  run_id: ['a', 'b', 'a', 'a', 'b'],
  key: ['loss', 'loss', 'acc', 'loss', 'loss'],
  step: [0, 0, 0, 1, 1],
  timestamp: [10, 11, 12, 13, 14],
  value: [1.5, 2.5, 0.25, NaN, -Infinity]
};

describe('wire/decode', () => {
  it('groups rows per (run, key), keeping their order', async () => {
    const series = await decodeMetricStream(metricBytes(ROWS));
    const byId = Object.fromEntries(
      series.map(s => [`${s.runId}/${s.key}`, s])
    );
    expect(Object.keys(byId).sort()).toEqual(['a/acc', 'a/loss', 'b/loss']);
    expect(Array.from(byId['a/loss'].steps)).toEqual([0, 1]);
    expect(Array.from(byId['a/loss'].timestamps)).toEqual([10, 13]);
    expect(byId['a/loss'].values[0]).toBe(1.5);
    expect(byId['a/loss'].values[1]).toBeNaN();
    expect(Array.from(byId['b/loss'].values)).toEqual([2.5, -Infinity]);
    expect(Array.from(byId['a/acc'].values)).toEqual([0.25]);
    for (const s of series) {
      expect(s.steps).toBeInstanceOf(Float64Array);
      expect(s.values).toBeInstanceOf(Float64Array);
    }
  });

  it('decodes a DataView at a non-zero offset into a bigger buffer', async () => {
    const bytes = metricBytes(ROWS);
    for (const offset of [3, 8, 13]) {
      const backing = new ArrayBuffer(offset + bytes.byteLength + 29);
      new Uint8Array(backing).fill(0xff);
      new Uint8Array(backing, offset, bytes.byteLength).set(bytes);
      const view = new DataView(backing, offset, bytes.byteLength);
      expect(toUint8Array(view).byteLength).toBe(bytes.byteLength);
      const series = await decodeMetricStream(view);
      const total = series.reduce((n, s) => n + s.steps.length, 0);
      expect(total).toBe(5);
      const b = series.find(s => s.runId === 'b')!;
      expect(Array.from(b.timestamps)).toEqual([11, 14]);
    }
  });

  it('keeps a single series zero-copy and decodes an ArrayBuffer', async () => {
    const bytes = metricBytes({
      run_id: ['r', 'r', 'r'],
      key: ['k', 'k', 'k'],
      step: [2, 1, 3],
      timestamp: [1, 2, 3],
      value: [0.1, 0.2, 0.3]
    });
    const copy = bytes.slice().buffer;
    const [series] = await decodeMetricStream(copy);
    expect(series.runId).toBe('r');
    expect(Array.from(series.steps)).toEqual([2, 1, 3]);
  });

  it('returns nothing for an empty buffer', async () => {
    expect(await decodeMetricStream(new Uint8Array(0))).toEqual([]);
  });

  it('groups by dictionary index across several record batches', async () => {
    const arrow = await loadArrow();
    const dict = () => new Dictionary(new Utf8(), new Int32());
    const make = (runs: string[], steps: number[]) =>
      new Table({
        run_id: vectorFromArray(runs, dict()),
        key: vectorFromArray(
          runs.map(() => 'loss'),
          dict()
        ),
        step: vectorFromArray(steps, new Float64()),
        timestamp: vectorFromArray(steps, new Float64()),
        value: vectorFromArray(steps, new Float64())
      });
    const table = make(['x', 'y'], [0, 0]).concat(make(['y', 'x'], [1, 1]));
    expect(table.batches.length).toBe(2);
    const series = groupMetricTable(table);
    const x = series.find(s => s.runId === 'x')!;
    const y = series.find(s => s.runId === 'y')!;
    expect(Array.from(x.steps)).toEqual([0, 1]);
    expect(Array.from(y.steps)).toEqual([0, 1]);
    expect(arrow.tableFromIPC).toBeDefined();
  });

  it('accepts plain utf8 columns too', async () => {
    const table = new Table({
      run_id: vectorFromArray(['a', 'b', 'a'], new Utf8()),
      key: vectorFromArray(['k', 'k', 'k'], new Utf8()),
      step: vectorFromArray([0, 1, 2], new Float64()),
      timestamp: vectorFromArray([0, 1, 2], new Float64()),
      value: vectorFromArray([5, 6, 7], new Float64())
    });
    const series = await decodeMetricStream(tableToIPC(table, 'stream'));
    const a = series.find(s => s.runId === 'a')!;
    expect(Array.from(a.values)).toEqual([5, 7]);
  });
});
