/**
 * The predict form's payload as a table and back: MLflow scoring payloads
 * whose cells are scalars (`dataframe_split`, `dataframe_records`, and
 * `inputs` / `instances` given as records, columns or rows) become columns
 * and rows of cells; editing a cell or a column name gives the payload back
 * with everything else (params, the split's index) kept. No DOM.
 */

/**
 * A JSON scalar: what a table cell holds.
 */
export type Scalar = string | number | boolean | null;

/**
 * A scoring payload seen as a table.
 */
export interface IPayloadTable {
  /**
   * The payload key the table came from.
   */
  readonly key: PayloadTable.Key;
  /**
   * How the rows are written back: `split` (`{columns, data}`), `records`
   * (a list of objects), `columns` (an object of column lists), `rows` (a
   * list of lists, unnamed columns) or `list` (a list of scalars, one
   * unnamed column).
   */
  readonly shape: 'split' | 'records' | 'columns' | 'rows' | 'list';
  /**
   * The column names (the column indices for `rows`).
   */
  readonly columns: ReadonlyArray<string>;
  readonly rows: ReadonlyArray<ReadonlyArray<Scalar>>;
  /**
   * The payload without the tabular part (e.g. `params`, the split's
   * `index`), written back as it was.
   */
  readonly rest: Readonly<Record<string, unknown>>;
}

/**
 * Conversions between scoring payloads and tables.
 */
export namespace PayloadTable {
  /**
   * The payload keys MLflow's scoring server reads.
   */
  export type Key =
    'dataframe_split' | 'dataframe_records' | 'inputs' | 'instances';

  /**
   * The keys, in the order they are looked for.
   */
  export const KEYS: ReadonlyArray<Key> = [
    'dataframe_split',
    'dataframe_records',
    'inputs',
    'instances'
  ];

  /**
   * Whether column names can be edited (unnamed columns cannot).
   */
  export function hasNamedColumns(table: IPayloadTable): boolean {
    return table.shape !== 'rows' && table.shape !== 'list';
  }

  /**
   * The table of a payload, or `null` when it is not one (not an object,
   * none of the known keys, several of them, or cells that are not
   * scalars, such as tensors).
   */
  export function fromPayload(payload: unknown): IPayloadTable | null {
    if (!isObject(payload)) {
      return null;
    }
    const keys = KEYS.filter(k => k in payload);
    if (keys.length !== 1) {
      return null;
    }
    const key = keys[0];
    const { [key]: value, ...rest } = payload;
    if (key === 'dataframe_split') {
      return Private.fromSplit(value, rest);
    }
    if (key === 'dataframe_records') {
      return Private.fromRecords(key, value, rest);
    }
    if (Array.isArray(value) && value.length > 0 && value.every(isObject)) {
      return Private.fromRecords(key, value, rest);
    }
    if (isObject(value)) {
      return Private.fromColumns(key, value, rest);
    }
    return Private.fromRows(key, value, rest);
  }

  /**
   * The payload of a table.
   */
  export function toPayload(table: IPayloadTable): Record<string, unknown> {
    const { columns, rows } = table;
    let value: unknown;
    switch (table.shape) {
      case 'split': {
        const { index, ...others } = table.rest;
        const split: Record<string, unknown> = { columns: [...columns] };
        if (index !== undefined) {
          split.index = index;
        }
        split.data = rows.map(row => [...row]);
        return { [table.key]: split, ...others };
      }
      case 'records':
        value = rows.map(row =>
          Object.fromEntries(columns.map((name, i) => [name, row[i]]))
        );
        break;
      case 'columns':
        value = Object.fromEntries(
          columns.map((name, i) => [name, rows.map(row => row[i])])
        );
        break;
      case 'rows':
        value = rows.map(row => [...row]);
        break;
      case 'list':
        value = rows.map(row => row[0]);
        break;
    }
    return { [table.key]: value, ...table.rest };
  }

  /**
   * The table with one cell set from its edited text.
   */
  export function setCell(
    table: IPayloadTable,
    row: number,
    column: number,
    text: string
  ): IPayloadTable {
    const rows = table.rows.map((cells, r) =>
      r === row
        ? cells.map((cell, c) =>
            c === column
              ? parseCell(text, Private.columnIsText(table, c))
              : cell
          )
        : cells
    );
    return { ...table, rows };
  }

  /**
   * The table with one column renamed.
   */
  export function renameColumn(
    table: IPayloadTable,
    column: number,
    name: string
  ): IPayloadTable {
    const columns = table.columns.map((c, i) => (i === column ? name : c));
    return { ...table, columns };
  }

  /**
   * The text a cell shows in its input.
   */
  export function cellText(value: Scalar): string {
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  /**
   * The value of an edited cell: text in a text column; otherwise a JSON
   * number, boolean or `null` when the text is one, else the text.
   */
  export function parseCell(text: string, isText: boolean): Scalar {
    if (isText) {
      return text;
    }
    const trimmed = text.trim();
    if (trimmed === '') {
      return null;
    }
    try {
      const value: unknown = JSON.parse(trimmed);
      if (isScalar(value) && typeof value !== 'string') {
        return value;
      }
    } catch {
      // Not JSON: a string.
    }
    return text;
  }
}

/**
 * Whether a value is a JSON scalar.
 */
export function isScalar(value: unknown): value is Scalar {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  );
}

/**
 * Whether a value is a plain JSON object.
 */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

namespace Private {
  export function columnIsText(table: IPayloadTable, column: number): boolean {
    const values = table.rows
      .map(row => row[column])
      .filter(value => value !== null);
    return values.length > 0 && values.every(v => typeof v === 'string');
  }

  export function fromSplit(
    value: unknown,
    rest: Record<string, unknown>
  ): IPayloadTable | null {
    if (!isObject(value) || !Array.isArray(value.data)) {
      return null;
    }
    const { columns, data, index, ...others } = value;
    if (Object.keys(others).length > 0) {
      return null;
    }
    const rows = scalarRows(data);
    if (!rows) {
      return null;
    }
    const width = Math.max(0, ...rows.map(row => row.length));
    const names = Array.isArray(columns)
      ? columns.map(name => String(name))
      : Array.from({ length: width }, (_, i) => String(i));
    if (rows.some(row => row.length !== names.length)) {
      return null;
    }
    return {
      key: 'dataframe_split',
      shape: 'split',
      columns: names,
      rows,
      rest: index === undefined ? rest : { ...rest, index }
    };
  }

  export function fromRecords(
    key: PayloadTable.Key,
    value: unknown,
    rest: Record<string, unknown>
  ): IPayloadTable | null {
    if (!Array.isArray(value) || !value.every(isObject)) {
      return null;
    }
    const columns: string[] = [];
    for (const record of value) {
      for (const name of Object.keys(record)) {
        if (!columns.includes(name)) {
          columns.push(name);
        }
      }
    }
    const rows: Scalar[][] = [];
    for (const record of value) {
      const row = columns.map(name => record[name] ?? null);
      if (!row.every(isScalar)) {
        return null;
      }
      rows.push(row);
    }
    return { key, shape: 'records', columns, rows, rest };
  }

  export function fromColumns(
    key: PayloadTable.Key,
    value: Record<string, unknown>,
    rest: Record<string, unknown>
  ): IPayloadTable | null {
    const columns = Object.keys(value);
    const lists = columns.map(name => value[name]);
    if (
      columns.length === 0 ||
      !lists.every(list => Array.isArray(list) && list.every(isScalar))
    ) {
      return null;
    }
    const length = (lists[0] as unknown[]).length;
    if (!lists.every(list => (list as unknown[]).length === length)) {
      return null;
    }
    const rows = Array.from({ length }, (_, r) =>
      lists.map(list => (list as Scalar[])[r])
    );
    return { key, shape: 'columns', columns, rows, rest };
  }

  export function fromRows(
    key: PayloadTable.Key,
    value: unknown,
    rest: Record<string, unknown>
  ): IPayloadTable | null {
    if (!Array.isArray(value) || value.length === 0) {
      return null;
    }
    if (value.every(isScalar)) {
      // A list of scalars: one unnamed column.
      return {
        key,
        shape: 'list',
        columns: ['0'],
        rows: value.map(v => [v as Scalar]),
        rest
      };
    }
    const rows = scalarRows(value);
    if (!rows || rows.some(row => row.length !== rows[0].length)) {
      return null;
    }
    const columns = rows[0].map((_, i) => String(i));
    return { key, shape: 'rows', columns, rows, rest };
  }

  /**
   * The rows of a list of lists of scalars; `null` if it is not one.
   */
  export function scalarRows(value: unknown[]): Scalar[][] | null {
    const rows: Scalar[][] = [];
    for (const row of value) {
      if (!Array.isArray(row) || !row.every(isScalar)) {
        return null;
      }
      rows.push(row as Scalar[]);
    }
    return rows;
  }
}
