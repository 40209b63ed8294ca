import { IRun } from '../../tokens';

/**
 * The rows of a runs table, computed from the runs and the view state (pure
 * functions, no DOM): the columns, the sortable values, nesting under parent
 * runs and sorting.
 */
export namespace TableRows {
  /**
   * A column: a fixed one, or `param:<key>` / `metric:<key>`.
   */
  export type ColumnId =
    | 'name'
    | 'status'
    | 'start'
    | 'duration'
    | `param:${string}`
    | `metric:${string}`;

  /**
   * The sort of the table.
   */
  export interface ISort {
    readonly column: ColumnId;
    readonly direction: 'ascending' | 'descending';
  }

  /**
   * The keys seen in the loaded runs.
   */
  export interface IKeys {
    readonly params: ReadonlyArray<string>;
    readonly metrics: ReadonlyArray<string>;
  }

  /**
   * One row of the table.
   */
  export interface IRow {
    readonly run: IRun;
    /**
     * The nesting depth: 0 for a top-level run.
     */
    readonly depth: number;
    /**
     * The number of loaded child runs.
     */
    readonly childCount: number;
    /**
     * Whether the child runs are hidden.
     */
    readonly collapsed: boolean;
    /**
     * The parent run id (tag `mlflow.parentRunId`), `null` for none.
     */
    readonly parentId: string | null;
  }

  /**
   * The tag MLflow sets on nested runs.
   */
  export const PARENT_TAG = 'mlflow.parentRunId';

  /**
   * The column of a param.
   */
  export function paramColumn(key: string): ColumnId {
    return `param:${key}`;
  }

  /**
   * The column of a metric.
   */
  export function metricColumn(key: string): ColumnId {
    return `metric:${key}`;
  }

  /**
   * The kind and key of a param or metric column; `null` for a fixed one.
   */
  export function parseColumn(
    column: ColumnId
  ): { kind: 'param' | 'metric'; key: string } | null {
    if (column.startsWith('param:')) {
      return { kind: 'param', key: column.slice('param:'.length) };
    }
    if (column.startsWith('metric:')) {
      return { kind: 'metric', key: column.slice('metric:'.length) };
    }
    return null;
  }

  /**
   * The parent run id of a run, `null` for a top-level run.
   */
  export function parentId(run: IRun): string | null {
    return run.data.tags.find(tag => tag.key === PARENT_TAG)?.value || null;
  }

  /**
   * The sortable value of a run in a column; `null` when missing.
   *
   * Params are compared as numbers when they all parse as numbers (MLflow
   * stores them as strings), see `compareValues`.
   */
  export function value(
    run: IRun,
    column: ColumnId,
    now: number
  ): string | number | null {
    const { info, data } = run;
    switch (column) {
      case 'name':
        return info.run_name || info.run_id;
      case 'status':
        return info.status;
      case 'start':
        return info.start_time;
      case 'duration':
        if (info.start_time === null) {
          return null;
        }
        return (
          (info.status === 'RUNNING' || info.end_time === null
            ? now
            : info.end_time) - info.start_time
        );
    }
    const parsed = parseColumn(column);
    if (parsed?.kind === 'param') {
      return data.params.find(p => p.key === parsed.key)?.value ?? null;
    }
    if (parsed?.kind === 'metric') {
      const metric = data.metrics.find(m => m.key === parsed.key);
      return metric === undefined || Number.isNaN(metric.value)
        ? null
        : metric.value;
    }
    return null;
  }

  /**
   * Compare two values ascending; numeric strings compare as numbers,
   * other strings in natural order.
   */
  export function compareValues(
    a: string | number,
    b: string | number
  ): number {
    const x = typeof a === 'string' ? numeric(a) : a;
    const y = typeof b === 'string' ? numeric(b) : b;
    if (typeof x === 'number' && typeof y === 'number') {
      return x < y ? -1 : x > y ? 1 : 0;
    }
    if (typeof x === 'number') {
      return -1;
    }
    if (typeof y === 'number') {
      return 1;
    }
    return collator.compare(x, y);
  }

  /**
   * Natural, case-insensitive order of keys and strings.
   */
  export const collator = new Intl.Collator(undefined, {
    numeric: true,
    sensitivity: 'base'
  });

  /**
   * A string as a number when it is one, else the string.
   */
  export function numeric(value: string): string | number {
    const trimmed = value.trim();
    if (trimmed === '') {
      return value;
    }
    const number = Number(trimmed);
    return Number.isNaN(number) ? value : number;
  }

  /**
   * The sorted param and metric keys of runs.
   */
  export function collectKeys(runs: ReadonlyArray<IRun>): IKeys {
    const params = new Set<string>();
    const metrics = new Set<string>();
    for (const run of runs) {
      for (const param of run.data.params) {
        params.add(param.key);
      }
      for (const metric of run.data.metrics) {
        metrics.add(metric.key);
      }
    }
    const sort = (keys: Set<string>) =>
      Array.from(keys).sort((a, b) => collator.compare(a, b));
    return { params: sort(params), metrics: sort(metrics) };
  }

  /**
   * The rows of the table: sorted top-level runs, each followed by its
   * children (recursively) unless collapsed. A run whose parent is not
   * loaded is shown at the top level.
   */
  export function buildRows(
    runs: ReadonlyArray<IRun>,
    sort: ISort | null,
    collapsed: ReadonlySet<string>,
    now: number
  ): IRow[] {
    const ids = new Set(runs.map(run => run.info.run_id));
    const children = new Map<string, IRun[]>();
    const roots: IRun[] = [];
    const parents = new Map<string, string | null>();
    for (const run of runs) {
      const parent = parentId(run);
      parents.set(run.info.run_id, parent);
      if (parent !== null && parent !== run.info.run_id && ids.has(parent)) {
        const siblings = children.get(parent);
        if (siblings) {
          siblings.push(run);
        } else {
          children.set(parent, [run]);
        }
      } else {
        roots.push(run);
      }
    }

    const order = sorter(sort, now);
    const rows: IRow[] = [];
    const visited = new Set<string>();
    const visit = (run: IRun, depth: number): void => {
      const id = run.info.run_id;
      if (visited.has(id)) {
        return; // a parent cycle
      }
      visited.add(id);
      const kids = children.get(id) ?? [];
      const isCollapsed = kids.length > 0 && collapsed.has(id);
      rows.push({
        run,
        depth,
        childCount: kids.length,
        collapsed: isCollapsed,
        parentId: parents.get(id) ?? null
      });
      if (!isCollapsed) {
        for (const child of order(kids)) {
          visit(child, depth + 1);
        }
      } else {
        hide(kids);
      }
    };
    // The descendants of a collapsed run: reached, not shown.
    const hide = (runs: IRun[]): void => {
      for (const run of runs) {
        if (!visited.has(run.info.run_id)) {
          visited.add(run.info.run_id);
          hide(children.get(run.info.run_id) ?? []);
        }
      }
    };
    for (const run of order(roots)) {
      visit(run, 0);
    }
    // Runs only reachable through a parent cycle.
    for (const run of runs) {
      if (!visited.has(run.info.run_id)) {
        visit(run, 0);
      }
    }
    return rows;
  }

  /**
   * A function sorting runs (stably; missing values last in both
   * directions).
   */
  export function sorter(
    sort: ISort | null,
    now: number
  ): (runs: IRun[]) => IRun[] {
    if (sort === null) {
      return runs => runs;
    }
    const sign = sort.direction === 'ascending' ? 1 : -1;
    return runs => {
      const keyed = runs.map((run, index) => ({
        run,
        index,
        value: value(run, sort.column, now)
      }));
      keyed.sort((a, b) => {
        if (a.value === null || b.value === null) {
          return a.value === b.value
            ? a.index - b.index
            : a.value === null
              ? 1
              : -1;
        }
        return sign * compareValues(a.value, b.value) || a.index - b.index;
      });
      return keyed.map(item => item.run);
    };
  }
}
