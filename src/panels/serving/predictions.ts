/**
 * How the predict form shows predictions: a table when they are a list of
 * scalars (one column) or of records with scalar values (one column per
 * key), pretty-printed JSON otherwise. No DOM.
 */
import { prettyJson } from './jsonText';
import { isObject, isScalar, Scalar } from './payload';

/**
 * Predictions ready to render.
 */
export type PredictionsDisplay =
  | {
      readonly kind: 'table';
      /**
       * The column names; `null` for a list of scalars (one unnamed column).
       */
      readonly columns: ReadonlyArray<string> | null;
      readonly rows: ReadonlyArray<ReadonlyArray<Scalar>>;
    }
  | { readonly kind: 'json'; readonly text: string };

/**
 * Choose how to show predictions.
 */
export function displayPredictions(predictions: unknown): PredictionsDisplay {
  if (Array.isArray(predictions) && predictions.length > 0) {
    if (predictions.every(isScalar)) {
      return {
        kind: 'table',
        columns: null,
        rows: predictions.map(value => [value])
      };
    }
    if (
      predictions.every(p => isObject(p) && Object.values(p).every(isScalar))
    ) {
      const records = predictions as Record<string, Scalar>[];
      const columns: string[] = [];
      for (const record of records) {
        for (const key of Object.keys(record)) {
          if (!columns.includes(key)) {
            columns.push(key);
          }
        }
      }
      return {
        kind: 'table',
        columns,
        rows: records.map(record => columns.map(key => record[key] ?? null))
      };
    }
  }
  return { kind: 'json', text: prettyJson(predictions) };
}
