import { escapePlotlyText } from '../../charts/plotly';
import { IRun } from '../../tokens';

/**
 * The data of the run comparison (pure functions, no DOM): the side-by-side
 * rows, the best value of each metric, and the Plotly traces of the
 * parallel-coordinates and scatter plots.
 */
export namespace CompareData {
  /**
   * Which value of a metric is the best.
   */
  export type Goal = 'min' | 'max';

  /**
   * A row of the side-by-side table.
   */
  export interface IRow {
    readonly kind: 'param' | 'metric';
    readonly key: string;
    /**
     * One value per run (`null` when the run does not have the key); params
     * are strings, metrics numbers.
     */
    readonly values: ReadonlyArray<string | number | null>;
    /**
     * Whether the runs do not all have the same value.
     */
    readonly differs: boolean;
  }

  /**
   * Metric names for which a lower value is better.
   */
  const LOWER_IS_BETTER =
    /(loss|err|error|mse|rmse|mae|mape|smape|msle|nll|perplexity|wer|cer|distance|divergence|regret|latency|duration|time|cost)/i;

  /**
   * The default goal of a metric from its name: lower is better for losses
   * and errors (`loss`, `val_loss`, `rmse`, `mae`, `log_loss`, ...), higher
   * otherwise (accuracy, f1, auc, r2, ...).
   */
  export function defaultGoal(key: string): Goal {
    return LOWER_IS_BETTER.test(key) ? 'min' : 'max';
  }

  /**
   * The sorted param keys and metric keys of runs.
   */
  export function keys(runs: ReadonlyArray<IRun>): {
    params: string[];
    metrics: string[];
  } {
    const params = new Set<string>();
    const metrics = new Set<string>();
    for (const run of runs) {
      run.data.params.forEach(p => params.add(p.key));
      run.data.metrics.forEach(m => metrics.add(m.key));
    }
    const sort = (set: Set<string>) =>
      Array.from(set).sort((a, b) => Private.collator.compare(a, b));
    return { params: sort(params), metrics: sort(metrics) };
  }

  /**
   * The value of a param of a run, `null` when missing.
   */
  export function paramValue(run: IRun, key: string): string | null {
    return run.data.params.find(p => p.key === key)?.value ?? null;
  }

  /**
   * The latest value of a metric of a run, `null` when missing.
   */
  export function metricValue(run: IRun, key: string): number | null {
    const metric = run.data.metrics.find(m => m.key === key);
    return metric === undefined ? null : metric.value;
  }

  /**
   * The rows of the side-by-side table: params, then metrics; with
   * `differencesOnly`, only the rows whose values differ between runs.
   */
  export function rows(
    runs: ReadonlyArray<IRun>,
    options: { differencesOnly?: boolean } = {}
  ): IRow[] {
    const { params, metrics } = keys(runs);
    const result: IRow[] = [
      ...params.map(key =>
        Private.row(
          'param',
          key,
          runs.map(r => paramValue(r, key))
        )
      ),
      ...metrics.map(key =>
        Private.row(
          'metric',
          key,
          runs.map(r => metricValue(r, key))
        )
      )
    ];
    return options.differencesOnly ? result.filter(r => r.differs) : result;
  }

  /**
   * The indices of the best values (all of them on a tie); none when fewer
   * than two runs have a comparable value.
   */
  export function bestIndices(
    values: ReadonlyArray<string | number | null>,
    goal: Goal
  ): number[] {
    const numbers = values.map(v =>
      typeof v === 'number' && !Number.isNaN(v) ? v : null
    );
    const present = numbers.filter((v): v is number => v !== null);
    if (present.length < 2) {
      return [];
    }
    const best = goal === 'min' ? Math.min(...present) : Math.max(...present);
    if (present.every(v => v === best)) {
      return [];
    }
    return numbers.flatMap((v, i) => (v === best ? [i] : []));
  }

  /**
   * Whether every present value parses as a finite number.
   */
  export function isNumeric(
    values: ReadonlyArray<string | number | null>
  ): boolean {
    const present = values.filter(v => v !== null);
    return (
      present.length > 0 &&
      present.every(v =>
        typeof v === 'number'
          ? Number.isFinite(v)
          : v.trim() !== '' && Number.isFinite(Number(v))
      )
    );
  }

  /**
   * A Plotly `parcoords` dimension.
   */
  export interface IDimension {
    readonly label: string;
    readonly values: number[];
    readonly range?: [number, number];
    readonly tickvals?: number[];
    readonly ticktext?: string[];
  }

  /**
   * The largest number of param dimensions of the parallel coordinates.
   */
  export const MAX_DIMENSIONS = 12;

  /**
   * The dimensions of the parallel-coordinates plot: the params (those
   * that differ between runs, or all of them when none differ), then the
   * metric. Params whose values are all numbers are numeric axes; others
   * (and params some runs lack) are categorical axes with `tickvals` and
   * `ticktext`. Runs without the metric are left out. Labels are escaped
   * for Plotly; tick texts are plain text to Plotly's parcoords (measured:
   * it renders them with `.text()`), so they are passed as they are.
   */
  export function parcoordsDimensions(
    runs: ReadonlyArray<IRun>,
    metric: string
  ): { dimensions: IDimension[]; runs: IRun[] } {
    const kept = runs.filter(run => {
      const value = metricValue(run, metric);
      return value !== null && Number.isFinite(value);
    });
    const params = keys(kept).params;
    const values = params.map(key => kept.map(run => paramValue(run, key)));
    const differing = params.filter((_, i) => !Private.allSame(values[i]));
    const chosen = (differing.length > 0 ? differing : params).slice(
      0,
      MAX_DIMENSIONS
    );
    const dimensions: IDimension[] = chosen.map(key => {
      const column = kept.map(run => paramValue(run, key));
      const label = escapePlotlyText(key);
      if (column.every(v => v !== null) && isNumeric(column)) {
        const numbers = column.map(v => Number(v));
        return { label, values: numbers, range: Private.range(numbers) };
      }
      // Sorted categories; a missing value last.
      const present = column.filter((v): v is string => v !== null);
      const categories = Array.from(new Set(present)).sort((a, b) =>
        Private.collator.compare(a, b)
      );
      if (present.length < column.length) {
        categories.push(MISSING);
      }
      const index = new Map(categories.map((c, i) => [c, i]));
      return {
        label,
        values: column.map(v => index.get(v ?? MISSING) ?? 0),
        range: [0, Math.max(1, categories.length - 1)],
        tickvals: categories.map((_, i) => i),
        // Not escaped: parcoords draws tick texts with d3's `.text()` (plain
        // text, no HTML), so an escaped `&lt;` would show literally. Labels
        // and every other string do go through Plotly's HTML subset.
        ticktext: categories
      };
    });
    const metricValues = kept.map(run => metricValue(run, metric) as number);
    dimensions.push({
      label: escapePlotlyText(metric),
      values: metricValues,
      range: Private.range(metricValues)
    });
    return { dimensions, runs: kept };
  }

  /**
   * The points of the scatter of a param against a metric: runs that have
   * both; `x` numbers when the param is numeric, escaped category strings
   * otherwise; `text` the escaped run names.
   */
  export function scatterPoints(
    runs: ReadonlyArray<IRun>,
    param: string,
    metric: string
  ): { x: (number | string)[]; y: number[]; text: string[]; numeric: boolean } {
    const kept = runs.filter(run => {
      const y = metricValue(run, metric);
      return (
        paramValue(run, param) !== null && y !== null && Number.isFinite(y)
      );
    });
    const xs = kept.map(run => paramValue(run, param) as string);
    const numeric = isNumeric(xs);
    return {
      x: xs.map(v => (numeric ? Number(v) : escapePlotlyText(v))),
      y: kept.map(run => metricValue(run, metric) as number),
      text: kept.map(run =>
        escapePlotlyText(run.info.run_name || run.info.run_id)
      ),
      numeric
    };
  }

  /**
   * The text shown for a missing param value on a categorical axis.
   */
  export const MISSING = '—';
}

namespace Private {
  export const collator = new Intl.Collator(undefined, {
    numeric: true,
    sensitivity: 'base'
  });

  export function row(
    kind: 'param' | 'metric',
    key: string,
    values: (string | number | null)[]
  ): CompareData.IRow {
    return { kind, key, values, differs: !allSame(values) };
  }

  export function allSame(
    values: ReadonlyArray<string | number | null>
  ): boolean {
    return values.every(v => Object.is(v, values[0]));
  }

  export function range(values: number[]): [number, number] {
    let min = Math.min(...values);
    let max = Math.max(...values);
    if (!Number.isFinite(min) || !Number.isFinite(max)) {
      return [0, 1];
    }
    if (min === max) {
      const pad = Math.abs(min) * 0.1 || 1;
      min -= pad;
      max += pad;
    }
    return [min, max];
  }
}
