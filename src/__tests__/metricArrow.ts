import * as arrow from 'apache-arrow';
import { WIRE_COLUMNS, wireSchema } from '../wire/schema';

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
 * Arrow IPC stream bytes with the wire schema of the metric stream and the
 * history endpoint (`wireSchema`: run_id/key dictionary<int32, utf8>,
 * float64 numbers, not nullable).
 */
export function metricStream(rows: IRow[]): Uint8Array {
  const schema = wireSchema(arrow);
  const values: Record<string, unknown[]> = {
    [WIRE_COLUMNS.runId]: rows.map(r => r.run),
    [WIRE_COLUMNS.key]: rows.map(r => r.key),
    [WIRE_COLUMNS.step]: rows.map(r => r.step),
    [WIRE_COLUMNS.timestamp]: rows.map(r => r.timestamp ?? 1000 + r.step),
    [WIRE_COLUMNS.value]: rows.map(r => r.value)
  };
  const children = schema.fields.map(
    field => arrow.vectorFromArray(values[field.name], field.type).data[0]
  );
  const batch = new arrow.RecordBatch(
    schema,
    arrow.makeData({
      type: new arrow.Struct(schema.fields),
      length: rows.length,
      nullCount: 0,
      children
    })
  );
  return arrow.tableToIPC(new arrow.Table(schema, [batch]), 'stream');
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
