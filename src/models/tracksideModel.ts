import { IDisposable } from '@lumino/disposable';
import { Debouncer, IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { TracksideRequestError } from '../services/client';
import { RunsLoader } from './runsLoader';
import { RunsTableModel } from './runsTableModel';
import {
  IBackendStatus,
  IExperiment,
  IRun,
  ISeriesStore,
  ITracksideService
} from '../tokens';

/**
 * The model of the Trackside panel: backend status, experiments and the runs
 * of the expanded experiments, refreshed by one poll.
 *
 * The poll stands by while the model is inactive (its panel hidden) or the
 * page is hidden, so a hidden panel makes no requests. When the backend is
 * unreachable the model enters an error state and the poll backs off; the
 * error clears at the first successful refresh.
 *
 * With a series store, the first points of a run the model has not loaded
 * (a run just started in the kernel) refresh the model at once, so a new run
 * shows up without waiting for the next poll.
 */
export class TracksideModel implements IDisposable {
  /**
   * Create a model.
   */
  constructor(options: TracksideModel.IOptions) {
    this._service = options.service;
    this._isActive = options.isActive ?? false;
    this._refreshInterval = options.refreshInterval ?? null;
    this._runsPerExperiment = options.runsPerExperiment ?? null;
    this._poll = new Poll({
      auto: true,
      factory: () => this._tick(),
      frequency: Private.frequency(this._refreshInterval),
      name: 'jupyterlab-trackside:TracksideModel',
      standby: () => !this._isActive || 'when-hidden'
    });
    this._store = options.store ?? null;
    this._store?.changed.connect(this._onSeriesChanged, this);
  }

  /**
   * Emitted when the backend status changes.
   */
  get statusChanged(): ISignal<this, IBackendStatus | null> {
    return this._statusChanged;
  }

  /**
   * Emitted when the experiments change.
   */
  get experimentsChanged(): ISignal<this, ReadonlyArray<IExperiment> | null> {
    return this._experimentsChanged;
  }

  /**
   * Emitted with an experiment id when its runs or expansion change.
   */
  get runsChanged(): ISignal<this, string> {
    return this._runsChanged;
  }

  /**
   * Emitted when the error state changes.
   */
  get errorChanged(): ISignal<this, TracksideModel.IError | null> {
    return this._errorChanged;
  }

  /**
   * Emitted when the model becomes active or inactive.
   */
  get activeChanged(): ISignal<this, boolean> {
    return this._activeChanged;
  }

  /**
   * Emitted when the run selection (for comparison) changes.
   */
  get selectionChanged(): ISignal<this, ReadonlyArray<string>> {
    return this._selectionChanged;
  }

  /**
   * The Trackside service the model reads from.
   */
  get service(): ITracksideService {
    return this._service;
  }

  /**
   * The last backend status; `null` before the first answer.
   */
  get status(): IBackendStatus | null {
    return this._status;
  }

  /**
   * The experiments, most recently updated first; `null` before the first
   * successful load.
   */
  get experiments(): ReadonlyArray<IExperiment> | null {
    return this._experiments;
  }

  /**
   * The current error, `null` when the last refresh succeeded.
   */
  get error(): TracksideModel.IError | null {
    return this._error;
  }

  /**
   * Whether the model is in use (its view visible). An inactive model does
   * not poll; activating it refreshes at once.
   */
  get isActive(): boolean {
    return this._isActive;
  }
  set isActive(value: boolean) {
    if (this.isDisposed || this._isActive === value) {
      return;
    }
    this._isActive = value;
    this._activeChanged.emit(value);
    if (value) {
      void this.refresh();
    }
  }

  /**
   * The refresh interval in milliseconds; `null` means refresh on demand
   * only (when shown, on `refresh()`).
   */
  get refreshInterval(): number | null {
    return this._refreshInterval;
  }
  set refreshInterval(value: number | null) {
    if (this.isDisposed || value === this._refreshInterval) {
      return;
    }
    this._refreshInterval = value;
    this._poll.frequency = Private.frequency(value);
    // Apply the new interval now rather than after the pending tick.
    void this._poll.schedule({
      interval: this._poll.frequency.interval,
      phase: 'standby'
    });
  }

  /**
   * The maximum number of runs loaded per expanded experiment; `null` lets
   * the server choose.
   */
  get runsPerExperiment(): number | null {
    return this._runsPerExperiment;
  }
  set runsPerExperiment(value: number | null) {
    this._runsPerExperiment = value;
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Whether an experiment is expanded (its runs loaded and refreshed).
   */
  isExpanded(experimentId: string): boolean {
    return this._expanded.has(experimentId);
  }

  /**
   * The runs state of an expanded experiment.
   */
  runs(experimentId: string): TracksideModel.IRunsState | null {
    return this._runs.get(experimentId) ?? null;
  }

  /**
   * The view state (sort, columns, nesting) of an experiment's runs table;
   * kept while the experiment is collapsed, disposed with the model.
   */
  tableModel(experimentId: string): RunsTableModel {
    let table = this._tables.get(experimentId);
    if (!table) {
      table = new RunsTableModel();
      table.setRuns(this._runs.get(experimentId)?.runs ?? []);
      this._tables.set(experimentId, table);
    }
    return table;
  }

  /**
   * The MLflow filter applied to an experiment's runs; empty for none.
   */
  filter(experimentId: string): string {
    return this._filters.get(experimentId) ?? '';
  }

  /**
   * The error of the last filter that could not be applied, `null` if none.
   */
  filterError(experimentId: string): string | null {
    return this._filterErrors.get(experimentId) ?? null;
  }

  /**
   * Apply an MLflow filter (`metrics.rmse < 0.8 and params.alpha = '0.5'`)
   * to an experiment's runs, sent as `filter` to `runs/search`.
   *
   * Resolves with `null` once the filtered runs are loaded, or with the
   * server's error message when the filter is rejected; the previous
   * filter and runs are kept then. Never rejects.
   */
  async setFilter(
    experimentId: string,
    filter: string
  ): Promise<string | null> {
    if (this.isDisposed) {
      return null;
    }
    const text = filter.trim();
    if (!this._expanded.has(experimentId)) {
      // Applied when the experiment is expanded.
      this._filters.set(experimentId, text);
      this._filterErrors.delete(experimentId);
      return null;
    }
    const version = this._bumpVersion(experimentId);
    const isCurrent = () =>
      !this.isDisposed && this._versions.get(experimentId) === version;
    const previous = this._runs.get(experimentId);
    this._setRuns(experimentId, {
      runs: previous?.runs ?? null,
      isLoading: true,
      isComplete: previous?.isComplete ?? true,
      error: previous?.error ?? null
    });
    let loaded: RunsLoader.ILoaded;
    try {
      loaded = await RunsLoader.load(this._service, {
        experimentId,
        filter: text,
        limit: this._runsLimit(),
        isCancelled: () => !isCurrent(),
        onPage: page => {
          if (isCurrent()) {
            this._filters.set(experimentId, text);
            this._filterErrors.delete(experimentId);
            this._setRuns(experimentId, {
              ...page,
              isLoading: true,
              error: null
            });
          }
        }
      });
    } catch (reason) {
      const message = Private.toError(reason).message;
      if (isCurrent()) {
        this._filterErrors.set(experimentId, message);
        this._setRuns(experimentId, {
          runs: previous?.runs ?? null,
          isLoading: false,
          isComplete: previous?.isComplete ?? true,
          error: previous?.error ?? null
        });
        this._runsChanged.emit(experimentId);
      }
      return message;
    }
    if (isCurrent()) {
      this._filters.set(experimentId, text);
      this._filterErrors.delete(experimentId);
      this._setRuns(experimentId, { ...loaded, isLoading: false, error: null });
      this._runsChanged.emit(experimentId);
    }
    return null;
  }

  /**
   * The selected run ids, in selection order (across experiments).
   */
  get selection(): ReadonlyArray<string> {
    return Array.from(this._selection);
  }

  /**
   * Whether a run is selected.
   */
  isSelected(runId: string): boolean {
    return this._selection.has(runId);
  }

  /**
   * Select or deselect a run for comparison.
   */
  setSelected(runId: string, selected: boolean): void {
    if (this.isDisposed || this._selection.has(runId) === selected) {
      return;
    }
    if (selected) {
      this._selection.add(runId);
    } else {
      this._selection.delete(runId);
    }
    this._selectionChanged.emit(this.selection);
  }

  /**
   * Deselect every run.
   */
  clearSelection(): void {
    if (this.isDisposed || this._selection.size === 0) {
      return;
    }
    this._selection.clear();
    this._selectionChanged.emit([]);
  }

  /**
   * Expand or collapse an experiment. Expanding loads its runs at once.
   */
  setExpanded(experimentId: string, expanded: boolean): void {
    if (this.isDisposed || this._expanded.has(experimentId) === expanded) {
      return;
    }
    if (expanded) {
      this._expanded.add(experimentId);
      this._bumpVersion(experimentId);
      this._runs.set(experimentId, {
        runs: null,
        isLoading: true,
        isComplete: true,
        error: null
      });
      this._runsChanged.emit(experimentId);
      void this._loadRuns(experimentId);
    } else {
      this._expanded.delete(experimentId);
      this._runs.delete(experimentId);
      this._bumpVersion(experimentId);
      this._tables.get(experimentId)?.setRuns([]);
      this._runsChanged.emit(experimentId);
    }
  }

  /**
   * What the panel shows: the experiments, one run, or a comparison.
   */
  get view(): TracksideModel.View {
    return this._view;
  }

  /**
   * A signal emitted when the panel's view changes.
   */
  get viewChanged(): ISignal<this, TracksideModel.View> {
    return this._viewChanged;
  }

  /**
   * Show one run in detail (its experiment is expanded for the way back).
   */
  showRun(experimentId: string, runId: string): void {
    this.setExpanded(experimentId, true);
    this._setView({ kind: 'run', experimentId, runId });
  }

  /**
   * Compare runs side by side.
   */
  showCompare(runIds: ReadonlyArray<string>): void {
    this._setView({ kind: 'compare', runIds: [...runIds] });
  }

  /**
   * Back to the experiments and their runs.
   */
  showList(): void {
    this._setView({ kind: 'list' });
  }

  /**
   * Reveal a run (for example the one a notebook asked to open).
   */
  revealRun(experimentId: string, runId: string): void {
    this.showRun(experimentId, runId);
  }

  /**
   * Refresh now. Resolves once the refresh is done (or skipped because the
   * model is inactive); never rejects, see `error`.
   */
  async refresh(): Promise<void> {
    if (this.isDisposed) {
      return;
    }
    await this._poll.refresh();
    if (this.isDisposed) {
      return;
    }
    await this._poll.tick.catch(() => undefined);
  }

  /**
   * Dispose the model and stop polling.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._store?.changed.disconnect(this._onSeriesChanged, this);
    this._newRunRefresh.dispose();
    this._announcedRuns.clear();
    this._poll.dispose();
    this._expanded.clear();
    this._runs.clear();
    this._tables.forEach(table => table.dispose());
    this._tables.clear();
    this._selection.clear();
    Signal.clearData(this);
  }

  /**
   * One poll tick: status, then experiments and the expanded runs.
   *
   * Rejects when the refresh failed, so that the poll backs off.
   */
  private async _tick(): Promise<void> {
    const generation = ++this._generation;
    const isCurrent = () => !this.isDisposed && generation === this._generation;
    try {
      const status = await this._service.status();
      if (!isCurrent()) {
        return;
      }
      this._setStatus(status);
      if (!status.healthy) {
        if (status.state === 'starting' || status.state === 'restarting') {
          // A transient state shown by the status header, not an error.
          this._setError(null);
          return;
        }
        throw new TracksideRequestError({
          status: 503,
          errorCode: 'TRACKSIDE_BACKEND_UNHEALTHY',
          message: status.message ?? status.state
        });
      }

      // Experiments still loading their pages are refreshed next time.
      const expanded = Array.from(this._expanded).filter(
        id => !this._runs.get(id)?.isLoading
      );
      const versions = expanded.map(id => this._versions.get(id));
      const [page, runs] = await Promise.all([
        this._service.searchExperiments({
          orderBy: ['last_update_time DESC']
        }),
        Promise.all(expanded.map(id => this._fetchRuns(id)))
      ]);
      if (!isCurrent()) {
        return;
      }
      this._setExperiments(page.experiments);
      expanded.forEach((id, index) => {
        // Skip the runs of a filter changed (or a re-expansion) meanwhile.
        if (this._versions.get(id) === versions[index]) {
          this._setRuns(id, runs[index]);
        }
      });
      this._setError(null);
    } catch (reason) {
      if (isCurrent()) {
        this._setError(Private.toError(reason));
      }
      throw reason;
    }
  }

  /**
   * Load the runs of one experiment outside of a poll tick.
   */
  private async _loadRuns(experimentId: string): Promise<void> {
    const version = this._versions.get(experimentId);
    const isCurrent = () =>
      !this.isDisposed && this._versions.get(experimentId) === version;
    let state: TracksideModel.IRunsState;
    try {
      // The first page shows at once; the next ones follow.
      state = await this._fetchRuns(experimentId, {
        isCancelled: () => !isCurrent(),
        onPage: page => {
          if (isCurrent()) {
            this._setRuns(experimentId, {
              ...page,
              isLoading: true,
              error: null
            });
          }
        }
      });
    } catch (reason) {
      state = {
        runs: this.runs(experimentId)?.runs ?? null,
        isLoading: false,
        isComplete: this.runs(experimentId)?.isComplete ?? true,
        error: Private.toError(reason).message
      };
    }
    if (!isCurrent()) {
      return;
    }
    this._setRuns(experimentId, state);
  }

  /**
   * Fetch the runs of one experiment.
   *
   * Rejects only when the backend is unreachable; other failures are kept
   * in the returned state.
   */
  private async _fetchRuns(
    experimentId: string,
    first?: Pick<RunsLoader.IOptions, 'onPage' | 'isCancelled'>
  ): Promise<TracksideModel.IRunsState> {
    const previous = this.runs(experimentId);
    try {
      const options = {
        experimentId,
        filter: this.filter(experimentId),
        limit: this._runsLimit()
      };
      // A first load pages progressively; a refresh updates what is loaded.
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
        error: Private.toError(reason).message
      };
    }
  }

  /**
   * The maximum number of runs loaded per experiment.
   */
  private _runsLimit(): number {
    return this._runsPerExperiment ?? Private.DEFAULT_RUNS_LIMIT;
  }

  /**
   * Invalidate the pending loads of an experiment's runs.
   */
  private _bumpVersion(experimentId: string): number {
    const version = (this._versions.get(experimentId) ?? 0) + 1;
    this._versions.set(experimentId, version);
    return version;
  }

  private _setStatus(status: IBackendStatus): void {
    if (Private.sameJSON(status, this._status)) {
      return;
    }
    this._status = status;
    this._statusChanged.emit(status);
  }

  private _setExperiments(experiments: IExperiment[]): void {
    const sorted = [...experiments].sort(
      (a, b) => (b.last_update_time ?? 0) - (a.last_update_time ?? 0)
    );
    // Forget the expansion of experiments that are gone.
    const ids = new Set(sorted.map(e => e.experiment_id));
    for (const id of Array.from(this._expanded)) {
      if (!ids.has(id)) {
        this.setExpanded(id, false);
      }
    }
    if (Private.sameJSON(sorted, this._experiments)) {
      return;
    }
    this._experiments = sorted;
    this._experimentsChanged.emit(sorted);
  }

  private _setRuns(
    experimentId: string,
    state: TracksideModel.IRunsState
  ): void {
    if (!this._expanded.has(experimentId)) {
      return;
    }
    if (Private.sameRunsState(state, this._runs.get(experimentId))) {
      return;
    }
    this._runs.set(experimentId, state);
    this._tables.get(experimentId)?.setRuns(state.runs ?? []);
    this._runsChanged.emit(experimentId);
  }

  private _setView(view: TracksideModel.View): void {
    if (this.isDisposed || Private.sameJSON(view, this._view)) {
      return;
    }
    this._view = view;
    this._viewChanged.emit(view);
  }

  /**
   * Refresh soon when points arrive for a run no expanded experiment lists.
   * Each run triggers this once: a run of a collapsed experiment stays
   * unknown, and its later points must not refresh again and again.
   */
  private _onSeriesChanged(
    _: ISeriesStore,
    change: ISeriesStore.IChangedArgs
  ): void {
    const { runId } = change;
    if (this._announcedRuns.has(runId) || this._isLoaded(runId)) {
      return;
    }
    this._announcedRuns.add(runId);
    if (this._isActive) {
      void this._newRunRefresh.invoke();
    }
  }

  private _isLoaded(runId: string): boolean {
    for (const state of this._runs.values()) {
      if (state.runs?.some(run => run.info.run_id === runId)) {
        return true;
      }
    }
    return false;
  }

  private _setError(error: TracksideModel.IError | null): void {
    if (Private.sameJSON(error, this._error)) {
      return;
    }
    this._error = error;
    this._errorChanged.emit(error);
  }

  private _service: ITracksideService;
  private _store: ISeriesStore | null;
  private _announcedRuns = new Set<string>();
  // Points come in bursts (up to ~20 messages/s): one refresh for a burst.
  private _newRunRefresh = new Debouncer(() => this.refresh(), 200);
  private _poll: Poll;
  private _isActive: boolean;
  private _isDisposed = false;
  private _refreshInterval: number | null;
  private _runsPerExperiment: number | null;
  private _generation = 0;
  private _status: IBackendStatus | null = null;
  private _experiments: ReadonlyArray<IExperiment> | null = null;
  private _error: TracksideModel.IError | null = null;
  private _expanded = new Set<string>();
  private _runs = new Map<string, TracksideModel.IRunsState>();
  private _statusChanged = new Signal<this, IBackendStatus | null>(this);
  private _experimentsChanged = new Signal<
    this,
    ReadonlyArray<IExperiment> | null
  >(this);
  private _runsChanged = new Signal<this, string>(this);
  private _errorChanged = new Signal<this, TracksideModel.IError | null>(this);
  private _activeChanged = new Signal<this, boolean>(this);
  private _tables = new Map<string, RunsTableModel>();
  private _filters = new Map<string, string>();
  private _filterErrors = new Map<string, string>();
  private _versions = new Map<string, number>();
  private _selection = new Set<string>();
  private _selectionChanged = new Signal<this, ReadonlyArray<string>>(this);
  private _view: TracksideModel.View = { kind: 'list' };
  private _viewChanged = new Signal<this, TracksideModel.View>(this);
}

/**
 * A namespace for `TracksideModel` statics.
 */
export namespace TracksideModel {
  /**
   * The options to create a model.
   */
  export interface IOptions {
    /**
     * The Trackside service.
     */
    service: ITracksideService;
    /**
     * Whether the model starts active; default `false` (no request until
     * activated).
     */
    isActive?: boolean;
    /**
     * The refresh interval in milliseconds (from the settings); refresh on
     * demand only when omitted.
     */
    refreshInterval?: number | null;
    /**
     * Maximum number of runs per expanded experiment (from the settings).
     */
    runsPerExperiment?: number | null;
    /**
     * The live series store; new runs streaming into it refresh the model.
     */
    store?: ISeriesStore | null;
  }

  /**
   * The error state of the model.
   */
  export interface IError {
    /**
     * `unreachable`: the Jupyter server or the tracking backend cannot be
     * reached (network failure, HTTP 502/503/504, unhealthy backend);
     * `request`: a request was rejected.
     */
    readonly kind: 'unreachable' | 'request';
    /**
     * The HTTP status, `0` for a network failure.
     */
    readonly status: number;
    readonly errorCode: string;
    readonly message: string;
  }

  /**
   * What the panel shows.
   */
  export type View =
    | { readonly kind: 'list' }
    | {
        readonly kind: 'run';
        readonly experimentId: string;
        readonly runId: string;
      }
    | { readonly kind: 'compare'; readonly runIds: ReadonlyArray<string> };

  /**
   * The runs of an expanded experiment.
   */
  export interface IRunsState {
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
   * The largest delay between two attempts while the backend is down.
   */
  const MAX_BACKOFF = 60 * 1000;

  /**
   * The poll frequency for a refresh interval.
   */
  export function frequency(interval: number | null): IPoll.Frequency {
    if (interval === null || !(interval > 0)) {
      return { backoff: true, interval: Poll.NEVER, max: Poll.NEVER };
    }
    const bounded = Math.min(Math.round(interval), Poll.MAX_INTERVAL);
    return {
      backoff: true,
      interval: bounded,
      max: Math.max(bounded, MAX_BACKOFF)
    };
  }

  /**
   * The model error of a failure.
   */
  export function toError(reason: unknown): TracksideModel.IError {
    if (reason instanceof TracksideRequestError) {
      return {
        kind: reason.isUnreachable ? 'unreachable' : 'request',
        status: reason.status,
        errorCode: reason.errorCode,
        message: reason.message
      };
    }
    return {
      kind: 'request',
      status: 0,
      errorCode: 'TRACKSIDE_CLIENT_ERROR',
      message: reason instanceof Error ? reason.message : String(reason)
    };
  }

  /**
   * The runs limit when the settings give none.
   */
  export const DEFAULT_RUNS_LIMIT = 1000;

  /**
   * Whether two runs states are equal; cheap checks first, since a state
   * may hold thousands of runs.
   */
  export function sameRunsState(
    a: TracksideModel.IRunsState,
    b: TracksideModel.IRunsState | undefined
  ): boolean {
    if (b === undefined) {
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
    return a.runs === b.runs || sameJSON(a.runs, b.runs);
  }

  /**
   * Whether two JSON-like values are equal.
   */
  export function sameJSON(a: unknown, b: unknown): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
  }
}
