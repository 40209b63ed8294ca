import { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { TracksideRequestError } from '../services/client';
import {
  IBackendStatus,
  IExperiment,
  IRun,
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
   * Expand or collapse an experiment. Expanding loads its runs at once.
   */
  setExpanded(experimentId: string, expanded: boolean): void {
    if (this.isDisposed || this._expanded.has(experimentId) === expanded) {
      return;
    }
    if (expanded) {
      this._expanded.add(experimentId);
      this._runs.set(experimentId, {
        runs: null,
        isLoading: true,
        error: null
      });
      this._runsChanged.emit(experimentId);
      void this._loadRuns(experimentId);
    } else {
      this._expanded.delete(experimentId);
      this._runs.delete(experimentId);
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
    this._poll.dispose();
    this._expanded.clear();
    this._runs.clear();
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

      const expanded = Array.from(this._expanded);
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
      expanded.forEach((id, index) => this._setRuns(id, runs[index]));
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
    let state: TracksideModel.IRunsState;
    try {
      state = await this._fetchRuns(experimentId);
    } catch (reason) {
      state = {
        runs: this.runs(experimentId)?.runs ?? null,
        isLoading: false,
        error: Private.toError(reason).message
      };
    }
    if (this.isDisposed) {
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
    experimentId: string
  ): Promise<TracksideModel.IRunsState> {
    try {
      const page = await this._service.searchRuns({
        experimentIds: [experimentId],
        maxResults: this._runsPerExperiment ?? undefined,
        orderBy: ['attributes.start_time DESC']
      });
      return { runs: page.runs, isLoading: false, error: null };
    } catch (reason) {
      if (TracksideRequestError.isUnreachable(reason)) {
        throw reason;
      }
      return {
        runs: this.runs(experimentId)?.runs ?? null,
        isLoading: false,
        error: Private.toError(reason).message
      };
    }
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
    if (Private.sameJSON(state, this._runs.get(experimentId))) {
      return;
    }
    this._runs.set(experimentId, state);
    this._runsChanged.emit(experimentId);
  }

  private _setView(view: TracksideModel.View): void {
    if (this.isDisposed || Private.sameJSON(view, this._view)) {
      return;
    }
    this._view = view;
    this._viewChanged.emit(view);
  }

  private _setError(error: TracksideModel.IError | null): void {
    if (Private.sameJSON(error, this._error)) {
      return;
    }
    this._error = error;
    this._errorChanged.emit(error);
  }

  private _service: ITracksideService;
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
   * Whether two JSON-like values are equal.
   */
  export function sameJSON(a: unknown, b: unknown): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
  }
}
