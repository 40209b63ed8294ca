import type { RecordBatch, Table } from 'apache-arrow';
import { WIRE_COLUMNS, WireNumberColumn, WireStringColumn } from './schema';

/**
 * The points of one (run, key) series decoded from an Arrow message.
 */
export interface ISeriesBatch {
  readonly runId: string;
  readonly key: string;
  readonly steps: Float64Array;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/**
 * Bytes of an Arrow IPC stream as received: an `ArrayBuffer` or any view on
 * one (comm buffers arrive as `DataView`s into a larger buffer).
 */
export type ArrowBytes = ArrayBuffer | ArrayBufferView;

/**
 * Load `apache-arrow` on first use only, so JupyterLab start-up does not.
 */
export function loadArrow(): Promise<typeof import('apache-arrow')> {
  let loading = Private.loader.arrow;
  if (!loading) {
    loading = Private.loader.arrow = import('apache-arrow');
    loading.catch(() => {
      Private.loader.arrow = null;
    });
  }
  return loading;
}

/**
 * View received bytes as a `Uint8Array` of exactly their range (honours a
 * view's `byteOffset` and `byteLength`; never the whole backing buffer).
 */
export function toUint8Array(bytes: ArrowBytes): Uint8Array {
  if (bytes instanceof Uint8Array) {
    return bytes;
  }
  if (ArrayBuffer.isView(bytes)) {
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return new Uint8Array(bytes);
}

/**
 * Decode an Arrow IPC stream of metric points (the wire columns of
 * `wire.ts`) into one batch per (run, key).
 */
export async function decodeMetricStream(
  bytes: ArrowBytes
): Promise<ISeriesBatch[]> {
  const view = toUint8Array(bytes);
  if (view.byteLength === 0) {
    return [];
  }
  const arrow = await loadArrow();
  return groupMetricTable(arrow.tableFromIPC(Private.aligned(view)));
}

/**
 * Group the rows of a decoded table by (run, key).
 *
 * Rows are grouped by dictionary index (never by string), in one counting
 * pass and one filling pass per record batch; the order of rows within a
 * series is kept.
 */
export function groupMetricTable(table: Table): ISeriesBatch[] {
  const merged = new Map<string, ISeriesBatch[]>();
  for (const batch of table.batches) {
    for (const series of Private.groupBatch(batch)) {
      const id = JSON.stringify([series.runId, series.key]);
      const list = merged.get(id);
      if (list) {
        list.push(series);
      } else {
        merged.set(id, [series]);
      }
    }
  }
  const result: ISeriesBatch[] = [];
  for (const list of merged.values()) {
    result.push(list.length === 1 ? list[0] : Private.concat(list));
  }
  return result;
}

namespace Private {
  /**
   * The `apache-arrow` module once requested.
   */
  export const loader: {
    arrow: Promise<typeof import('apache-arrow')> | null;
  } = { arrow: null };

  /**
   * Arrow reads float64 columns zero-copy when they are 8-byte aligned; copy
   * the message once when the view is not.
   */
  export function aligned(view: Uint8Array): Uint8Array {
    return view.byteOffset % 8 === 0 ? view : view.slice();
  }

  /**
   * A column of the batch as a float64 array of the batch length.
   */
  export function float64Column(
    batch: RecordBatch,
    name: WireNumberColumn
  ): Float64Array {
    const column = batch.getChild(name);
    if (!column) {
      throw new Error(`Arrow metric stream without a "${name}" column`);
    }
    const array = column.toArray() as ArrayLike<number>;
    if (array instanceof Float64Array) {
      return array;
    }
    // Another numeric type (e.g. from an older server): convert.
    const out = new Float64Array(batch.numRows);
    for (let i = 0; i < out.length; i++) {
      out[i] = Number(array[i]);
    }
    return out;
  }

  /**
   * A dictionary-encoded string column: its int32 indices and dictionary.
   */
  export function dictionaryColumn(
    batch: RecordBatch,
    name: WireStringColumn
  ): { indices: ArrayLike<number>; dictionary: string[] } {
    const column = batch.getChild(name);
    if (!column) {
      throw new Error(`Arrow metric stream without a "${name}" column`);
    }
    const data = column.data[0];
    if (column.data.length === 1 && data?.dictionary) {
      return {
        indices: data.values as ArrayLike<number>,
        dictionary: data.dictionary.toArray() as string[]
      };
    }
    // Plain strings: build a dictionary here (slower, still correct).
    const lookup = new Map<string, number>();
    const dictionary: string[] = [];
    const indices = new Int32Array(batch.numRows);
    for (let i = 0; i < indices.length; i++) {
      const value = String(column.get(i));
      let index = lookup.get(value);
      if (index === undefined) {
        index = dictionary.length;
        lookup.set(value, index);
        dictionary.push(value);
      }
      indices[i] = index;
    }
    return { indices, dictionary };
  }

  /**
   * Group one record batch by (run index, key index).
   */
  export function groupBatch(batch: RecordBatch): ISeriesBatch[] {
    const n = batch.numRows;
    if (n === 0) {
      return [];
    }
    const runs = dictionaryColumn(batch, WIRE_COLUMNS.runId);
    const keys = dictionaryColumn(batch, WIRE_COLUMNS.key);
    const steps = float64Column(batch, WIRE_COLUMNS.step);
    const timestamps = float64Column(batch, WIRE_COLUMNS.timestamp);
    const values = float64Column(batch, WIRE_COLUMNS.value);
    const nKeys = Math.max(1, keys.dictionary.length);

    // Counting pass: group ids in first-seen order.
    const groupOf = new Map<number, number>();
    const codes: number[] = [];
    const counts: number[] = [];
    const rowGroup = new Int32Array(n);
    let lastCode = -1;
    let lastGroup = -1;
    for (let i = 0; i < n; i++) {
      const code = runs.indices[i] * nKeys + keys.indices[i];
      let group: number;
      if (code === lastCode) {
        group = lastGroup;
      } else {
        const known = groupOf.get(code);
        if (known === undefined) {
          group = codes.length;
          groupOf.set(code, group);
          codes.push(code);
          counts.push(0);
        } else {
          group = known;
        }
        lastCode = code;
        lastGroup = group;
      }
      counts[group]++;
      rowGroup[i] = group;
    }

    // A single series: the columns are the series (zero-copy).
    if (codes.length === 1) {
      return [
        {
          runId: runs.dictionary[Math.floor(codes[0] / nKeys)],
          key: keys.dictionary[codes[0] % nKeys],
          steps,
          timestamps,
          values
        }
      ];
    }

    // Filling pass.
    const out = codes.map((code, g) => ({
      runId: runs.dictionary[Math.floor(code / nKeys)],
      key: keys.dictionary[code % nKeys],
      steps: new Float64Array(counts[g]),
      timestamps: new Float64Array(counts[g]),
      values: new Float64Array(counts[g])
    }));
    const fill = new Int32Array(codes.length);
    for (let i = 0; i < n; i++) {
      const g = rowGroup[i];
      const j = fill[g]++;
      const series = out[g];
      series.steps[j] = steps[i];
      series.timestamps[j] = timestamps[i];
      series.values[j] = values[i];
    }
    return out;
  }

  /**
   * Concatenate batches of the same series.
   */
  export function concat(list: ISeriesBatch[]): ISeriesBatch {
    const length = list.reduce((sum, s) => sum + s.steps.length, 0);
    const steps = new Float64Array(length);
    const timestamps = new Float64Array(length);
    const values = new Float64Array(length);
    let offset = 0;
    for (const s of list) {
      steps.set(s.steps, offset);
      timestamps.set(s.timestamps, offset);
      values.set(s.values, offset);
      offset += s.steps.length;
    }
    return {
      runId: list[0].runId,
      key: list[0].key,
      steps,
      timestamps,
      values
    };
  }
}
