/**
 * Which metric keys of compared runs hold a single value (accuracy, rmse
 * logged once), drawn as one bar per run instead of one-point curves.
 * Pure functions of the runs and the series store: tested with jest.
 */
import { IRunValue } from '../../charts/barFigure';
import { Format } from '../../models/format';
import { IRun, ISeriesStore } from '../../tokens';

/**
 * The value of a run's metric key when it holds a single one: the one
 * point of its history in the store, or, while its history is not loaded,
 * its latest value when that is at step 0 (`undefined` otherwise, or when
 * the run has no such key).
 */
export function singleValue(
  run: IRun,
  key: string,
  store: ISeriesStore
): number | undefined {
  const series = store.get(run.info.run_id, key);
  if (series && series.length > 0) {
    return series.length === 1 ? series.values[0] : undefined;
  }
  const latest = run.data.metrics.find(metric => metric.key === key);
  return latest && latest.step === 0 ? latest.value : undefined;
}

/**
 * The single-value keys of runs (each run that has the key holds exactly
 * one value of it), in key order, with each run's value in run order.
 */
export function singleValueKeys(
  runs: ReadonlyArray<IRun>,
  store: ISeriesStore
): Map<string, IRunValue[]> {
  const byKey = new Map<string, IRunValue[] | null>();
  for (const run of runs) {
    const keys = new Set([
      ...run.data.metrics.map(metric => metric.key),
      ...store.keys(run.info.run_id)
    ]);
    for (const key of keys) {
      const values = byKey.get(key);
      if (values === null) {
        continue;
      }
      const value = singleValue(run, key, store);
      if (value === undefined) {
        byKey.set(key, null);
        continue;
      }
      const entry = {
        runId: run.info.run_id,
        runName: Format.runName(run.info),
        value
      };
      byKey.set(key, values ? [...values, entry] : [entry]);
    }
  }
  const result = new Map<string, IRunValue[]>();
  for (const key of Array.from(byKey.keys()).sort()) {
    const values = byKey.get(key);
    if (values) {
      result.set(key, values);
    }
  }
  return result;
}
