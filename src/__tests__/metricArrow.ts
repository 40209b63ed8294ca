import {
  Dictionary,
  Float64,
  Int32,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray
} from 'apache-arrow';

/**
 * A metric point for the test fixtures.
 */
export interface IRow {
  run: string;
  key: string;
  step: number;
  timestamp?: number;
  value: number;
}

/**
 * Arrow IPC stream bytes with the wire columns of the metric stream and the
 * history endpoint (run_id/key dictionary<int32, utf8>, float64 numbers).
 */
export function metricStream(rows: IRow[]): Uint8Array {
  const dict = () => new Dictionary(new Utf8(), new Int32());
  const table = new Table({
    run_id: vectorFromArray(
      rows.map(r => r.run),
      dict()
    ),
    key: vectorFromArray(
      rows.map(r => r.key),
      dict()
    ),
    step: vectorFromArray(
      rows.map(r => r.step),
      new Float64()
    ),
    timestamp: vectorFromArray(
      rows.map(r => r.timestamp ?? 1000 + r.step),
      new Float64()
    ),
    value: vectorFromArray(
      rows.map(r => r.value),
      new Float64()
    )
  });
  return tableToIPC(table, 'stream');
}

/**
 * Rows of one series with value = 10 * step.
 */
export function seriesRows(run: string, key: string, steps: number[]): IRow[] {
  return steps.map(step => ({ run, key, step, value: step * 10 }));
}

/**
 * The bytes as the kernel's comm delivers them: a DataView into a bigger
 * buffer at an odd offset.
 */
export function asCommBuffer(bytes: Uint8Array, offset = 5): DataView {
  const backing = new ArrayBuffer(offset + bytes.byteLength + 11);
  new Uint8Array(backing, offset, bytes.byteLength).set(bytes);
  return new DataView(backing, offset, bytes.byteLength);
}
