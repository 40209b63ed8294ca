import { IDisposable } from '@lumino/disposable';
import { JSONExt, ReadonlyJSONValue } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';
import { TracksideRequestError } from '../../services/client';
import { TracksideModel } from '../../models/tracksideModel';
import { IRun, ITracksideService } from '../../tokens';
import { RunsLoader } from './loader';
import { serverOrder } from './serverOrder';
import { RunsTableModel } from './tableModel';

/**
 * The runs of one experiment: whether they are shown (expanded), the loaded
 * runs, the MLflow filter applied to them and the view state of their
 * table. No DOM; the runs model refreshes it at each poll tick.
 *
 * The filter and the table survive a collapse; the runs do not.
 *
 * With `onDemand`, only the first page is loaded; the table asks for the
 * next one (`loadMore`) when its view nears the last loaded run, so the
 * browser holds the runs scrolled through, never the whole experiment
 * (and at most the runs limit). A sort of the table is then sent to the
 * server (`order_by`) while runs are left on it: sorting the oldest first
 * is how the far end of a large experiment is reached without paging
 * through it (MLflow pages by token only). Without `onDemand`, every run
 * up to the limit is loaded in the background, most recent first.
 */
export class ExperimentRuns implements IDisposable {
  /**
   * Create the runs of an experiment (collapsed).
   */
  constructor(options: ExperimentRuns.IOptions) {
    this.experimentId = options.experimentId;
    this._service = options.service;
    this._limit = options.limit;
    this._onDemand = options.onDemand ?? false;
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
      this._table.setRuns(this._state?.runs ?? [], this._order);
      this._table.sortChanged.connect(this._onSortChanged, this);
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
    this._nextToken = null;
    if (!expanded) {
      this._state = null;
      this._table?.setRuns([]);
      this._changed.emit(undefined);
      return;
    }
    // Loaded in the order the table is sorted by, when the server can.
    this._order = this._wantedOrder();
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
        ...this._paging(),
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
      this._nextToken = loaded.nextPageToken ?? null;
      this._setState(this._loadedState(loaded));
      this._changed.emit(undefined);
    }
    return null;
  }

  /**
   * Load the next page of runs (on demand, when the table nears the last
   * loaded run). Does nothing while loading, at the end or at the limit.
   * Never rejects: a failure is kept in the state.
   */
  async loadMore(): Promise<void> {
    const state = this._state;
    const token = this._nextToken;
    if (
      this.isDisposed ||
      !state?.runs ||
      state.isLoading ||
      !state.canLoadMore ||
      token === null
    ) {
      return;
    }
    const version = this._version;
    const isCurrent = () =>
      !this.isDisposed &&
      this._version === version &&
      this._nextToken === token;
    const runs = state.runs;
    this._setState({ ...state, isLoading: true });
    let next: ExperimentRuns.IState;
    let nextToken: string | null = token;
    try {
      const page = await RunsLoader.load(this._service, {
        experimentId: this.experimentId,
        filter: this._filter,
        limit: this._limit() - runs.length,
        orderBy: serverOrder(this._order) ?? undefined,
        pageToken: token,
        firstPage: RunsLoader.PAGE,
        pages: 1
      });
      // Runs started since the first page shift the pages: a run seen
      // again is dropped here (a run deleted meanwhile may shift one out of
      // sight until the next collapse, filter or sort).
      const known = new Set(runs.map(run => run.info.run_id));
      nextToken = page.nextPageToken ?? null;
      next = this._loadedState({
        runs: [...runs, ...page.runs.filter(r => !known.has(r.info.run_id))],
        isComplete: page.isComplete
      });
      next = { ...next, canLoadMore: next.canLoadMore && nextToken !== null };
    } catch (reason) {
      next = {
        ...state,
        isLoading: false,
        error: TracksideModel.toError(reason).message
      };
    }
    if (isCurrent()) {
      this._nextToken = nextToken;
      this._setState(next);
    }
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
    const [state, token] = await this._fetch();
    return () => {
      if (!this.isDisposed && this._version === version) {
        if (token !== undefined) {
          this._nextToken = token;
        }
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
    this._table?.sortChanged.disconnect(this._onSortChanged, this);
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
    let token: string | null | undefined;
    try {
      // The first page shows at once; the next ones follow (on demand: when
      // the table asks).
      [state, token] = await this._fetch({
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
      if (token !== undefined) {
        this._nextToken = token;
      }
      this._setState(state);
    }
  }

  /**
   * Fetch the runs: a first load pages progressively, a refresh updates
   * what is loaded.
   *
   * Rejects only when the backend is unreachable. Resolves with the state
   * and the next page token (`undefined`: keep the current one).
   */
  private async _fetch(
    first?: Pick<RunsLoader.IOptions, 'onPage' | 'isCancelled'>
  ): Promise<[ExperimentRuns.IState, string | null | undefined]> {
    const previous = this._state;
    try {
      const options = {
        experimentId: this.experimentId,
        filter: this._filter,
        limit: this._limit(),
        ...this._paging()
      };
      const loaded =
        first || !previous?.runs
          ? await RunsLoader.load(this._service, { ...options, ...first })
          : await RunsLoader.update(this._service, {
              ...options,
              previous: { runs: previous.runs, isComplete: previous.isComplete }
            });
      return [this._loadedState(loaded), loaded.nextPageToken];
    } catch (reason) {
      if (TracksideRequestError.isUnreachable(reason)) {
        throw reason;
      }
      return [
        {
          runs: previous?.runs ?? null,
          isLoading: false,
          isComplete: previous?.isComplete ?? true,
          canLoadMore: previous?.canLoadMore,
          error: TracksideModel.toError(reason).message
        },
        undefined
      ];
    }
  }

  /**
   * The paging options of a load: on demand, one page in the server order
   * the runs are in.
   */
  private _paging(): Pick<RunsLoader.IOptions, 'orderBy' | 'pages'> {
    return this._onDemand
      ? { orderBy: serverOrder(this._order) ?? undefined, pages: 1 }
      : {};
  }

  /**
   * The state of freshly loaded runs.
   */
  private _loadedState(loaded: RunsLoader.ILoaded): ExperimentRuns.IState {
    return {
      runs: loaded.runs,
      isComplete: loaded.isComplete,
      isLoading: false,
      error: null,
      canLoadMore:
        this._onDemand &&
        !loaded.isComplete &&
        loaded.runs.length < this._limit()
    };
  }

  /**
   * The server order the table's sort asks for: the sort itself when MLflow
   * can order by it, `null` (most recent first) otherwise.
   */
  private _wantedOrder(): RunsTableModel.ISort | null {
    const sort = this._table?.sort ?? null;
    return this._onDemand && serverOrder(sort) !== null ? sort : null;
  }

  /**
   * On demand, a new sort loads the runs again in that order while runs
   * are left on the server; a complete set is sorted in the browser.
   */
  private _onSortChanged(): void {
    const state = this._state;
    const wanted = this._wantedOrder();
    if (
      !this._onDemand ||
      !state?.runs ||
      Private.sameSort(wanted, this._order) ||
      (state.isComplete && !state.isLoading)
    ) {
      return;
    }
    const version = ++this._version;
    const isCurrent = () => !this.isDisposed && this._version === version;
    this._setState({ ...state, isLoading: true });
    void RunsLoader.load(this._service, {
      experimentId: this.experimentId,
      filter: this._filter,
      limit: this._limit(),
      orderBy: serverOrder(wanted) ?? undefined,
      pages: 1
    }).then(
      loaded => {
        if (isCurrent()) {
          this._order = wanted;
          this._nextToken = loaded.nextPageToken ?? null;
          this._setState(this._loadedState(loaded));
        }
      },
      reason => {
        if (isCurrent()) {
          this._setState({
            ...state,
            isLoading: false,
            error: TracksideModel.toError(reason).message
          });
        }
      }
    );
  }

  private _setState(state: ExperimentRuns.IState): void {
    if (!this.isExpanded || Private.sameState(state, this._state)) {
      return;
    }
    this._state = state;
    this._table?.setRuns(state.runs ?? [], this._order);
    this._changed.emit(undefined);
  }

  private _service: ITracksideService;
  private _limit: () => number;
  private _onDemand: boolean;
  // The next page of the loaded runs (on demand), `null` at the end.
  private _nextToken: string | null = null;
  // The server order the loaded runs are in; `null` for the default.
  private _order: RunsTableModel.ISort | null = null;
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
    /**
     * Load one page at a time, as the table asks (`loadMore`), in the order
     * of the table's sort; all pages up to the limit by default.
     */
    onDemand?: boolean;
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
    /**
     * Whether `loadMore` would load another page (on demand only).
     */
    readonly canLoadMore?: boolean;
  }
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
      !a.canLoadMore !== !b.canLoadMore ||
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
