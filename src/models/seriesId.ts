/**
 * The key of a series (one metric key of one run) in maps and sets.
 *
 * A NUL separator cannot occur in MLflow run ids or metric keys, so two
 * different (run, key) pairs never share an id.
 */
export function seriesId(runId: string, key: string): string {
  return `${runId}\u0000${key}`;
}
