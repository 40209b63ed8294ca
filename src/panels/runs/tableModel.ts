import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { IRun } from '../../tokens';
import { TableRows } from './tableRows';

/**
 * The view state of the runs table of one experiment: sorting, the chosen
 * param and metric columns, collapsed parent runs, and the rows that result
 * (nested runs under their parent). No DOM.
 *
 * The runs come from the panel model (`setRuns`); the rows are computed on
 * demand and cached until the runs or the view state change. Runs the
 * server already ordered by the current sort (see `serverOrder`) keep that
 * order: the browser only sorts runs that came in another one.
 */
export class RunsTableModel implements IDisposable {
  /**
   * Create a runs table model.
   */
  constructor(options: RunsTableModel.IOptions = {}) {
    this._now = options.now ?? Date.now;
  }

  /**
   * Emitted when the rows, the columns or the sort change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted when the sort changes (the runs may be loaded again in that
   * order).
   */
  get sortChanged(): ISignal<this, RunsTableModel.ISort | null> {
    return this._sortChanged;
  }

  /**
   * The runs, in the order they were loaded.
   */
  get runs(): ReadonlyArray<IRun> {
    return this._runs;
  }

  /**
   * The current sort; `null` keeps the loaded order (most recent first).
   */
  get sort(): RunsTableModel.ISort | null {
    return this._sort;
  }

  /**
   * The chosen param and metric columns, in the order they were chosen.
   */
  get columns(): ReadonlyArray<RunsTableModel.ColumnId> {
    return this._columns;
  }

  /**
   * The param and metric keys seen in the loaded runs, sorted.
   */
  get keys(): RunsTableModel.IKeys {
    if (this._keys === null) {
      this._keys = TableRows.collectKeys(this._runs);
    }
    return this._keys;
  }

  /**
   * The rows: top-level runs sorted, each followed by its (sorted) child
   * runs unless collapsed.
   */
  get rows(): ReadonlyArray<RunsTableModel.IRow> {
    if (this._rows === null) {
      this._rows = TableRows.buildRows(
        this._runs,
        Private.sameSort(this._sort, this._runsOrder) ? null : this._sort,
        this._collapsed,
        this._now()
      );
    }
    return this._rows;
  }

  /**
   * A number that changes at every `changed` emission (a render key).
   */
  get revision(): number {
    return this._revision;
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Set the runs; `order` is the sort they are already in (the server's),
   * `null` for the loaded order (most recent first).
   */
  setRuns(
    runs: ReadonlyArray<IRun>,
    order: RunsTableModel.ISort | null = null
  ): void {
    if (
      this.isDisposed ||
      (runs === this._runs && Private.sameSort(order, this._runsOrder))
    ) {
      return;
    }
    this._runs = runs;
    this._runsOrder = order ? { ...order } : null;
    this._keys = null;
    this._invalidate();
  }

  /**
   * Sort by a column, or keep the loaded order with `null`.
   */
  setSort(sort: RunsTableModel.ISort | null): void {
    if (this.isDisposed || Private.sameSort(sort, this._sort)) {
      return;
    }
    this._sort = sort ? { ...sort } : null;
    this._invalidate();
    this._sortChanged.emit(this._sort);
  }

  /**
   * Sort by a column (the header click): ascending first, then descending,
   * then ascending again.
   */
  toggleSort(column: RunsTableModel.ColumnId): void {
    const current = this._sort;
    this.setSort({
      column,
      direction:
        current?.column === column && current.direction === 'ascending'
          ? 'descending'
          : 'ascending'
    });
  }

  /**
   * Whether a param or metric column is shown.
   */
  hasColumn(column: RunsTableModel.ColumnId): boolean {
    return this._columns.includes(column);
  }

  /**
   * Show or hide a param or metric column.
   */
  setColumn(column: RunsTableModel.ColumnId, shown: boolean): void {
    if (this.isDisposed || this.hasColumn(column) === shown) {
      return;
    }
    if (!RunsTableModel.parseColumn(column)) {
      return;
    }
    this._columns = shown
      ? [...this._columns, column]
      : this._columns.filter(c => c !== column);
    const unsorted = !shown && this._sort?.column === column;
    if (unsorted) {
      this._sort = null;
      this._rows = null;
    }
    this._revision++;
    this._changed.emit(undefined);
    if (unsorted) {
      this._sortChanged.emit(null);
    }
  }

  /**
   * Whether the child runs of a parent run are hidden.
   */
  isCollapsed(runId: string): boolean {
    return this._collapsed.has(runId);
  }

  /**
   * Hide or show the child runs of a parent run.
   */
  setCollapsed(runId: string, collapsed: boolean): void {
    if (this.isDisposed || this.isCollapsed(runId) === collapsed) {
      return;
    }
    if (collapsed) {
      this._collapsed.add(runId);
    } else {
      this._collapsed.delete(runId);
    }
    this._invalidate();
  }

  /**
   * Dispose the model.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _invalidate(): void {
    this._rows = null;
    this._revision++;
    this._changed.emit(undefined);
  }

  private _now: () => number;
  private _isDisposed = false;
  private _revision = 0;
  private _runs: ReadonlyArray<IRun> = [];
  private _sort: RunsTableModel.ISort | null = null;
  private _runsOrder: RunsTableModel.ISort | null = null;
  private _columns: ReadonlyArray<RunsTableModel.ColumnId> = [];
  private _collapsed = new Set<string>();
  private _keys: RunsTableModel.IKeys | null = null;
  private _rows: ReadonlyArray<RunsTableModel.IRow> | null = null;
  private _changed = new Signal<this, void>(this);
  private _sortChanged = new Signal<this, RunsTableModel.ISort | null>(this);
}

namespace Private {
  /**
   * Whether two sorts are the same (`null` for none).
   */
  export function sameSort(
    a: RunsTableModel.ISort | null,
    b: RunsTableModel.ISort | null
  ): boolean {
    return a?.column === b?.column && a?.direction === b?.direction;
  }
}

/**
 * A namespace for `RunsTableModel` statics.
 */
export namespace RunsTableModel {
  /**
   * The options to create a runs table model.
   */
  export interface IOptions {
    /**
     * The clock used for the duration of running runs (tests).
     */
    now?: () => number;
  }

  export type ColumnId = TableRows.ColumnId;
  export type ISort = TableRows.ISort;
  export type IKeys = TableRows.IKeys;
  export type IRow = TableRows.IRow;
  export const PARENT_TAG = TableRows.PARENT_TAG;
  export const paramColumn = TableRows.paramColumn;
  export const metricColumn = TableRows.metricColumn;
  export const parseColumn = TableRows.parseColumn;
  export const parentId = TableRows.parentId;
  export const value = TableRows.value;
  export const compareValues = TableRows.compareValues;
}
