/**
 * The wire format of metric points, TypeScript side (the Python side is
 * `trackside/wire.py`): the Arrow schema of the kernel's live stream and of
 * the server's metric history. Its twin `buckets.ts` holds the decimation
 * rule both sides apply.
 *
 * Pure definitions with no DOM and no runtime import (Arrow is loaded lazily
 * by its users), so every layer may import it.
 */
import type * as Arrow from 'apache-arrow';

/**
 * The media type of an Arrow IPC stream (the history endpoint's answer).
 */
export const ARROW_STREAM_MEDIA_TYPE = 'application/vnd.apache.arrow.stream';

/**
 * The column names on the wire, in order.
 */
export const WIRE_COLUMNS = {
  runId: 'run_id',
  key: 'key',
  step: 'step',
  timestamp: 'timestamp',
  value: 'value'
} as const;

/**
 * The name of a string column (dictionary<int32, utf8>).
 */
export type WireStringColumn =
  typeof WIRE_COLUMNS.runId | typeof WIRE_COLUMNS.key;

/**
 * The name of a number column (float64; a missing number is NaN).
 */
export type WireNumberColumn =
  | typeof WIRE_COLUMNS.step
  | typeof WIRE_COLUMNS.timestamp
  | typeof WIRE_COLUMNS.value;

/**
 * The Arrow schema of the wire: `run_id` and `key` as
 * `dictionary<int32, utf8>`, `step`, `timestamp` (ms) and `value` as
 * `float64`, none nullable. No int64 (JavaScript would get `BigInt`).
 *
 * @param arrow The `apache-arrow` module (loaded lazily by the caller).
 */
export function wireSchema(arrow: typeof Arrow): Arrow.Schema {
  const strings = (name: WireStringColumn) =>
    new arrow.Field(
      name,
      new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()),
      false
    );
  const numbers = (name: WireNumberColumn) =>
    new arrow.Field(name, new arrow.Float64(), false);
  return new arrow.Schema([
    strings(WIRE_COLUMNS.runId),
    strings(WIRE_COLUMNS.key),
    numbers(WIRE_COLUMNS.step),
    numbers(WIRE_COLUMNS.timestamp),
    numbers(WIRE_COLUMNS.value)
  ]);
}
