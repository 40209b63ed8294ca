import { IDisposable } from '@lumino/disposable';
import { JSONExt, ReadonlyJSONValue } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';
import { TracksideRequestError } from '../../services/client';
import { TracksideModel } from '../../models/tracksideModel';
import { IRun, ITracksideService } from '../../tokens';
import { RunsLoader } from './loader';
import { RunsTableModel } from './tableModel';

/**
 * The runs of one experiment: whether they are shown (expanded), the loaded
 * runs, the MLflow filter applied to them and the view state of their
 * table. No DOM; the runs model refreshes it at each poll tick.
 *
 * The filter and the table survive a collapse; the runs do not.
 */
export class ExperimentRuns implements IDisposable {
  /**
   * Create the runs of an experiment (collapsed).
   */
  constructor(options: ExperimentRuns.IOptions) {
    this.experimentId = options.experimentId;
    this._service = options.service;
    this._limit = options.limit;
  }

  /**
   * The experiment id.
   */
  readonly experimentId: string;

  /**
   * Emitted when the runs, the expansion, the filter or its error change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Whether the runs are shown (loaded and refreshed).
   */
  get isExpanded(): boolean {
    return this._state !== null;
  }

  /**
   * The runs state; `null` while collapsed.
   */
  get state(): ExperimentRuns.IState | null {
    return this._state;
  }

  /**
   * The view state (sort, columns, nesting) of the runs table.
   */
  get table(): RunsTableModel {
    if (!this._table) {
      this._table = new RunsTableModel();
      this._table.setRuns(this._state?.runs ?? []);
    }
    return this._table;
  }

  /**
   * The MLflow filter applied to the runs; empty for none.
   */
  get filter(): string {
    return this._filter;
  }

  /**
   * The error of the last filter that could not be applied, `null` if none.
   */
  get filterError(): string | null {
    return this._filterError;
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Whether a run is loaded.
   */
  has(runId: string): boolean {
    return !!this._state?.runs?.some(run => run.info.run_id === runId);
  }

  /**
   * Expand (load the runs at once, first page first) or collapse.
   */
  setExpanded(expanded: boolean): void {
    if (this.isDisposed || this.isExpanded === expanded) {
      return;
    }
    this._version++;
    if (!expanded) {
      this._state = null;
      this._table?.setRuns([]);
      this._changed.emit(undefined);
      return;
    }
    this._state = {
      runs: null,
      isLoading: true,
      isComplete: true,
      error: null
    };
    this._changed.emit(undefined);
    void this._load();
  }

  /**
   * Apply an MLflow filter (`metrics.rmse < 0.8 and params.alpha = '0.5'`),
   * sent as `filter` to `runs/search`.
   *
   * Resolves with `null` once the filtered runs are loaded, or with the
   * server's error message when the filter is rejected; the previous
   * filter and runs are kept then. Never rejects.
   */
  async setFilter(filter: string): Promise<string | null> {
    if (this.isDisposed) {
      return null;
    }
    const text = filter.trim();
    if (!this.isExpanded) {
      // Applied when the experiment is expanded.
      this._filter = text;
      this._filterError = null;
      return null;
    }
    const version = ++this._version;
    const isCurrent = () => !this.isDisposed && this._version === version;
    const previous = this._state;
    const kept = {
      runs: previous?.runs ?? null,
      isComplete: previous?.isComplete ?? true,
      error: previous?.error ?? null
    };
    this._setState({ ...kept, isLoading: true });
    let loaded: RunsLoader.ILoaded;
    try {
      loaded = await RunsLoader.load(this._service, {
        experimentId: this.experimentId,
        filter: text,
        limit: this._limit(),
        isCancelled: () => !isCurrent(),
        onPage: page => {
          if (isCurrent()) {
            this._filter = text;
            this._filterError = null;
            this._setState({ ...page, isLoading: true, error: null });
          }
        }
      });
    } catch (reason) {
      const message = TracksideModel.toError(reason).message;
      if (isCurrent()) {
        this._filterError = message;
        this._setState({ ...kept, isLoading: false });
        this._changed.emit(undefined);
      }
      return message;
    }
    if (isCurrent()) {
      this._filter = text;
      this._filterError = null;
      this._setState({ ...loaded, isLoading: false, error: null });
      this._changed.emit(undefined);
    }
    return null;
  }

  /**
   * Fetch the runs again (a poll tick). Resolves with a function applying
   * the result, which does nothing when the filter or the expansion changed
   * meanwhile: the tick applies it once the experiments are loaded.
   *
   * Rejects only when the backend is unreachable; other failures are kept
   * in the state.
   */
  async refresh(): Promise<() => void> {
    const version = this._version;
    const state = await this._fetch();
    return () => {
      if (!this.isDisposed && this._version === version) {
        this._setState(state);
      }
    };
  }

  /**
   * Dispose the runs and their table.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._state = null;
    this._table?.dispose();
    Signal.clearData(this);
  }

  /**
   * Load the runs outside of a poll tick (on expansion).
   */
  private async _load(): Promise<void> {
    const version = this._version;
    const isCurrent = () => !this.isDisposed && this._version === version;
    let state: ExperimentRuns.IState;
    try {
      // The first page shows at once; the next ones follow.
      state = await this._fetch({
        isCancelled: () => !isCurrent(),
        onPage: page => {
          if (isCurrent()) {
            this._setState({ ...page, isLoading: true, error: null });
          }
        }
      });
    } catch (reason) {
      state = {
        runs: this._state?.runs ?? null,
        isLoading: false,
        isComplete: this._state?.isComplete ?? true,
        error: TracksideModel.toError(reason).message
      };
    }
    if (isCurrent()) {
      this._setState(state);
    }
  }

  /**
   * Fetch the runs: a first load pages progressively, a refresh updates
   * what is loaded.
   *
   * Rejects only when the backend is unreachable.
   */
  private async _fetch(
    first?: Pick<RunsLoader.IOptions, 'onPage' | 'isCancelled'>
  ): Promise<ExperimentRuns.IState> {
    const previous = this._state;
    try {
      const options = {
        experimentId: this.experimentId,
        filter: this._filter,
        limit: this._limit()
      };
      const loaded =
        first || !previous?.runs
          ? await RunsLoader.load(this._service, { ...options, ...first })
          : await RunsLoader.update(this._service, {
              ...options,
              previous: { runs: previous.runs, isComplete: previous.isComplete }
            });
      return { ...loaded, isLoading: false, error: null };
    } catch (reason) {
      if (TracksideRequestError.isUnreachable(reason)) {
        throw reason;
      }
      return {
        runs: previous?.runs ?? null,
        isLoading: false,
        isComplete: previous?.isComplete ?? true,
        error: TracksideModel.toError(reason).message
      };
    }
  }

  private _setState(state: ExperimentRuns.IState): void {
    if (!this.isExpanded || Private.sameState(state, this._state)) {
      return;
    }
    this._state = state;
    this._table?.setRuns(state.runs ?? []);
    this._changed.emit(undefined);
  }

  private _service: ITracksideService;
  private _limit: () => number;
  private _isDisposed = false;
  private _state: ExperimentRuns.IState | null = null;
  private _table: RunsTableModel | null = null;
  private _filter = '';
  private _filterError: string | null = null;
  // Invalidates the pending loads: bumped by expansion and filter changes.
  private _version = 0;
  private _changed = new Signal<this, void>(this);
}

/**
 * A namespace for `ExperimentRuns` statics.
 */
export namespace ExperimentRuns {
  /**
   * The options to create the runs of an experiment.
   */
  export interface IOptions {
    experimentId: string;
    service: ITracksideService;
    /**
     * The maximum number of runs to load (read at each load).
     */
    limit: () => number;
  }

  /**
   * The runs of an expanded experiment.
   */
  export interface IState {
    /**
     * The runs, most recently started first; `null` before the first load.
     */
    readonly runs: ReadonlyArray<IRun> | null;
    readonly isLoading: boolean;
    /**
     * Whether every run matching the filter is loaded (`false` when the
     * `runsPerExperiment` limit left some out, or while loading pages).
     */
    readonly isComplete: boolean;
    /**
     * The error message of the last load, if it failed.
     */
    readonly error: string | null;
  }
}

namespace Private {
  /**
   * Whether two runs states are equal; cheap checks first, since a state
   * may hold thousands of runs.
   */
  export function sameState(
    a: ExperimentRuns.IState,
    b: ExperimentRuns.IState | null
  ): boolean {
    if (b === null) {
      return false;
    }
    if (
      a.isLoading !== b.isLoading ||
      a.isComplete !== b.isComplete ||
      a.error !== b.error ||
      (a.runs === null) !== (b.runs === null) ||
      a.runs?.length !== b.runs?.length
    ) {
      return false;
    }
    return (
      a.runs === b.runs ||
      JSONExt.deepEqual(
        a.runs as unknown as ReadonlyJSONValue,
        b.runs as unknown as ReadonlyJSONValue
      )
    );
  }
}
