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
 * demand and cached until the runs or the view state change.
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
        this._sort,
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
   * Set the runs.
   */
  setRuns(runs: ReadonlyArray<IRun>): void {
    if (this.isDisposed || runs === this._runs) {
      return;
    }
    this._runs = runs;
    this._keys = null;
    this._invalidate();
  }

  /**
   * Sort by a column, or keep the loaded order with `null`.
   */
  setSort(sort: RunsTableModel.ISort | null): void {
    if (
      this.isDisposed ||
      (sort?.column === this._sort?.column &&
        sort?.direction === this._sort?.direction)
    ) {
      return;
    }
    this._sort = sort ? { ...sort } : null;
    this._invalidate();
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
    if (!shown && this._sort?.column === column) {
      this._sort = null;
      this._rows = null;
    }
    this._revision++;
    this._changed.emit(undefined);
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
  private _columns: ReadonlyArray<RunsTableModel.ColumnId> = [];
  private _collapsed = new Set<string>();
  private _keys: RunsTableModel.IKeys | null = null;
  private _rows: ReadonlyArray<RunsTableModel.IRow> | null = null;
  private _changed = new Signal<this, void>(this);
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
