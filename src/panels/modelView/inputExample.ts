/**
 * An input example as a table. MLflow writes `input_example.json` in
 * several forms: a dataframe as `{columns, data}` (pandas "split") or
 * `{data}` ("values"), a list of records, an array, a dict of arrays, a
 * scalar — wrapped as `{inputs, params}` when it has inference params; and
 * the serving forms `{dataframe_split}`, `{dataframe_records}`, `{inputs}`,
 * `{instances}`.
 */
import { isRecord } from './signature';

/**
 * A table of text cells.
 */
export interface IExampleTable {
  readonly columns: ReadonlyArray<string>;
  readonly rows: ReadonlyArray<ReadonlyArray<string>>;
  /**
   * How many rows the example has (more than `rows` when cut).
   */
  readonly totalRows: number;
}

/**
 * The most rows of an example shown.
 */
export const MAX_EXAMPLE_ROWS = 100;

/**
 * The table of a parsed input example.
 */
export function exampleTable(example: unknown): IExampleTable {
  const { columns, rows } = Private.toRows(example);
  return {
    columns,
    rows: rows.slice(0, MAX_EXAMPLE_ROWS).map(row => row.map(cellText)),
    totalRows: rows.length
  };
}

/**
 * The text of a cell: strings as they are, anything else as JSON.
 */
export function cellText(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value === undefined) {
    return '';
  }
  return JSON.stringify(value) ?? String(value);
}

namespace Private {
  type Rows = { columns: string[]; rows: unknown[][] };

  export function toRows(example: unknown): Rows {
    if (Array.isArray(example)) {
      return fromArray(example);
    }
    if (!isRecord(example)) {
      return { columns: ['value'], rows: [[example]] };
    }
    for (const key of [
      'dataframe_split',
      'dataframe_records',
      'instances',
      'inputs'
    ]) {
      if (key in example) {
        return toRows(example[key]);
      }
    }
    if (Array.isArray(example.data)) {
      const data = example.data as unknown[];
      const columns = Array.isArray(example.columns)
        ? example.columns.map(cellText)
        : null;
      const rows = data.map(row => (Array.isArray(row) ? row : [row]));
      return { columns: columns ?? indexColumns(rows), rows };
    }
    const values = Object.values(example);
    if (values.length > 0 && values.every(Array.isArray)) {
      // A dict of columns (name → array): one row per index.
      const columns = Object.keys(example);
      const arrays = values as unknown[][];
      const length = Math.max(...arrays.map(a => a.length));
      const rows = Array.from({ length }, (_, i) => arrays.map(a => a[i]));
      return { columns, rows };
    }
    return { columns: Object.keys(example), rows: [values] };
  }

  export function fromArray(list: unknown[]): Rows {
    if (list.length > 0 && list.every(isRecord)) {
      const columns: string[] = [];
      const seen = new Set<string>();
      for (const record of list as Record<string, unknown>[]) {
        for (const key of Object.keys(record)) {
          if (!seen.has(key)) {
            seen.add(key);
            columns.push(key);
          }
        }
      }
      const rows = (list as Record<string, unknown>[]).map(record =>
        columns.map(column => record[column])
      );
      return { columns, rows };
    }
    if (list.length > 0 && list.every(Array.isArray)) {
      const rows = list as unknown[][];
      return { columns: indexColumns(rows), rows };
    }
    return { columns: ['value'], rows: list.map(item => [item]) };
  }

  export function indexColumns(rows: unknown[][]): string[] {
    const width = Math.max(0, ...rows.map(row => row.length));
    return Array.from({ length: width }, (_, i) => String(i));
  }
}
