import { JSONExt, ReadonlyJSONValue } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { refreshPoll } from '../../models/refreshPoll';
import { TracksideModel } from '../../models/tracksideModel';
import { IExperiment, ISeriesStore, ITracksideService } from '../../tokens';
import { ExperimentRuns } from './experimentRuns';
import { NewRunProbe } from './newRunProbe';
import { NewRunWatcher } from './newRuns';
import { RunSelection } from './selection';
import { RunsTableModel } from './tableModel';

/**
 * The model of the runs list: the experiments, the runs of the expanded
 * ones (filter and table state per experiment) and the runs selected for
 * comparison, refreshed by one poll. No DOM.
 *
 * Each tick asks the connection for the backend status first, then loads
 * the experiments and the expanded runs. The poll stands by while the panel
 * is hidden (the connection inactive) or the page is, so a hidden panel
 * makes no requests; becoming visible refreshes at once. When the backend
 * is unreachable the connection enters an error state and the poll backs
 * off; the error clears at the first successful refresh.
 *
 * With a series store, the first points of a run the model has not loaded
 * (a run just started in the kernel) refresh the model at once, so a new run
 * shows up without waiting for the next poll. A run started outside the
 * kernels sends no points: the newest runs of the expanded experiments are
 * looked at every second while the list is visible (`NewRunProbe`).
 */
export class RunsModel implements IDisposable {
  /**
   * Create a model.
   */
  constructor(options: RunsModel.IOptions) {
    this._connection = options.connection;
    this._service = options.connection.service;
    this._refreshInterval = options.refreshInterval ?? null;
    this._runsPerExperiment = options.runsPerExperiment ?? null;
    this._poll = new Poll({
      auto: true,
      factory: () => this._tick(),
      frequency: TracksideModel.refreshFrequency(this._refreshInterval),
      name: 'jupyterlab-trackside:RunsModel',
      standby: () => !this._connection.isActive || 'when-hidden'
    });
    this._newRuns = options.store
      ? new NewRunWatcher({
          store: options.store,
          isKnown: runId => this._isLoaded(runId),
          isEnabled: () => this._connection.isActive,
          refresh: () => this.refresh()
        })
      : null;
    this._newRunProbe = new NewRunProbe({
      service: this._service,
      experimentIds: () =>
        Array.from(this._entries.values())
          .filter(entry => entry.isExpanded)
          .map(entry => entry.experimentId),
      isKnown: runId => this._isLoaded(runId),
      // Only while the list shows, in a panel that refreshes by itself more
      // slowly than the probe.
      isEnabled: () =>
        this._connection.isActive &&
        this._connection.view.kind === 'list' &&
        this._refreshInterval !== null &&
        this._refreshInterval > NewRunProbe.INTERVAL,
      refresh: () => this.refresh()
    });
    this._connection.activeChanged.connect(this._onActiveChanged, this);
    this._connection.viewChanged.connect(this._onViewChanged, this);
  }

  /**
   * Emitted when the experiments change.
   */
  get experimentsChanged(): ISignal<this, ReadonlyArray<IExperiment> | null> {
    return this._experimentsChanged;
  }

  /**
   * Emitted with an experiment id when its runs, expansion or filter change.
   */
  get runsChanged(): ISignal<this, string> {
    return this._runsChanged;
  }

  /**
   * The connection (status, errors, visibility, navigation).
   */
  get connection(): TracksideModel {
    return this._connection;
  }

  /**
   * The experiments, most recently updated first; `null` before the first
   * successful load.
   */
  get experiments(): ReadonlyArray<IExperiment> | null {
    return this._experiments;
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
    this._poll.frequency = TracksideModel.refreshFrequency(value);
    // Apply the new interval now rather than after the pending tick.
    void this._poll.schedule({
      interval: this._poll.frequency.interval,
      phase: 'standby'
    });
  }

  /**
   * The maximum number of runs loaded per expanded experiment; `null` lets
   * the default apply.
   */
  get runsPerExperiment(): number | null {
    return this._runsPerExperiment;
  }
  set runsPerExperiment(value: number | null) {
    this._runsPerExperiment = value;
  }

  /**
   * The number of runs to load per experiment: the setting, or the default.
   */
  get runsLimit(): number {
    return this._runsPerExperiment ?? RunsModel.DEFAULT_RUNS_LIMIT;
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
    return this._entries.get(experimentId)?.isExpanded ?? false;
  }

  /**
   * The runs state of an expanded experiment.
   */
  runs(experimentId: string): RunsModel.IRunsState | null {
    return this._entries.get(experimentId)?.state ?? null;
  }

  /**
   * The view state (sort, columns, nesting) of an experiment's runs table;
   * kept while the experiment is collapsed, disposed with the model.
   */
  tableModel(experimentId: string): RunsTableModel {
    return this._entry(experimentId).table;
  }

  /**
   * The MLflow filter applied to an experiment's runs; empty for none.
   */
  filter(experimentId: string): string {
    return this._entries.get(experimentId)?.filter ?? '';
  }

  /**
   * The error of the last filter that could not be applied, `null` if none.
   */
  filterError(experimentId: string): string | null {
    return this._entries.get(experimentId)?.filterError ?? null;
  }

  /**
   * Apply an MLflow filter to an experiment's runs; see
   * `ExperimentRuns.setFilter`. Never rejects.
   */
  async setFilter(
    experimentId: string,
    filter: string
  ): Promise<string | null> {
    if (this.isDisposed) {
      return null;
    }
    return this._entry(experimentId).setFilter(filter);
  }

  /**
   * Load the next page of an experiment's runs (the table nears the last
   * loaded run); see `ExperimentRuns.loadMore`. Never rejects.
   */
  async loadMore(experimentId: string): Promise<void> {
    if (this.isDisposed) {
      return;
    }
    return this._entries.get(experimentId)?.loadMore();
  }

  /**
   * Expand or collapse an experiment. Expanding loads its first page of
   * runs at once; the next pages as the table is scrolled.
   */
  setExpanded(experimentId: string, expanded: boolean): void {
    if (this.isDisposed) {
      return;
    }
    this._entry(experimentId).setExpanded(expanded);
  }

  /**
   * The runs selected for comparison (across experiments).
   */
  get selection(): RunSelection {
    return this._selection;
  }

  /**
   * Refresh now. Resolves once the refresh is done (or skipped because the
   * panel is hidden); never rejects, see the connection's `error`.
   */
  async refresh(): Promise<void> {
    await refreshPoll(this._poll);
  }

  /**
   * Dispose the model and stop polling.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._connection.activeChanged.disconnect(this._onActiveChanged, this);
    this._connection.viewChanged.disconnect(this._onViewChanged, this);
    this._newRuns?.dispose();
    this._newRunProbe.dispose();
    this._poll.dispose();
    this._entries.forEach(entry => entry.dispose());
    this._entries.clear();
    this._selection.dispose();
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
    const connection = this._connection;
    try {
      if (!(await connection.updateStatus(isCurrent)) || !isCurrent()) {
        return;
      }
      // Experiments still loading their pages are refreshed next time.
      const expanded = Array.from(this._entries.values()).filter(
        entry => entry.isExpanded && !entry.state?.isLoading
      );
      const [page, applies] = await Promise.all([
        this._service.searchExperiments({
          orderBy: ['last_update_time DESC']
        }),
        Promise.all(expanded.map(entry => entry.refresh()))
      ]);
      if (!isCurrent()) {
        return;
      }
      this._setExperiments(page.experiments);
      // Skips the runs of a filter changed (or a re-expansion) meanwhile.
      applies.forEach(apply => apply());
      connection.setError(null);
    } catch (reason) {
      if (isCurrent()) {
        connection.setError(TracksideModel.toError(reason));
      }
      throw reason;
    }
  }

  /**
   * The runs of an experiment, created on first use.
   */
  private _entry(experimentId: string): ExperimentRuns {
    let entry = this._entries.get(experimentId);
    if (!entry) {
      entry = new ExperimentRuns({
        experimentId,
        service: this._service,
        limit: () => this.runsLimit,
        // The panel's table may show an experiment of 100,000 runs.
        onDemand: true
      });
      entry.changed.connect(this._onEntryChanged, this);
      this._entries.set(experimentId, entry);
    }
    return entry;
  }

  private _onEntryChanged(entry: ExperimentRuns): void {
    this._runsChanged.emit(entry.experimentId);
  }

  private _setExperiments(experiments: IExperiment[]): void {
    const sorted = [...experiments].sort(
      (a, b) => (b.last_update_time ?? 0) - (a.last_update_time ?? 0)
    );
    // Forget the expansion of experiments that are gone.
    const ids = new Set(sorted.map(e => e.experiment_id));
    for (const entry of this._entries.values()) {
      if (!ids.has(entry.experimentId)) {
        entry.setExpanded(false);
      }
    }
    if (
      this._experiments !== null &&
      JSONExt.deepEqual(
        sorted as unknown as ReadonlyJSONValue,
        this._experiments as unknown as ReadonlyJSONValue
      )
    ) {
      return;
    }
    this._experiments = sorted;
    this._experimentsChanged.emit(sorted);
  }

  /**
   * Showing the panel refreshes at once.
   */
  private _onActiveChanged(_: TracksideModel, isActive: boolean): void {
    if (isActive) {
      void this.refresh();
    }
  }

  /**
   * A run shown in detail has its experiment expanded, for the way back.
   */
  private _onViewChanged(_: TracksideModel, view: TracksideModel.View): void {
    if (view.kind === 'run') {
      this.setExpanded(view.experimentId, true);
    }
  }

  private _isLoaded(runId: string): boolean {
    for (const entry of this._entries.values()) {
      if (entry.has(runId)) {
        return true;
      }
    }
    return false;
  }

  private _connection: TracksideModel;
  private _service: ITracksideService;
  private _newRuns: NewRunWatcher | null;
  private _newRunProbe: NewRunProbe;
  private _poll: Poll;
  private _isDisposed = false;
  private _refreshInterval: number | null;
  private _runsPerExperiment: number | null;
  private _generation = 0;
  private _experiments: ReadonlyArray<IExperiment> | null = null;
  private _entries = new Map<string, ExperimentRuns>();
  private _selection = new RunSelection();
  private _experimentsChanged = new Signal<
    this,
    ReadonlyArray<IExperiment> | null
  >(this);
  private _runsChanged = new Signal<this, string>(this);
}

/**
 * A namespace for `RunsModel` statics.
 */
export namespace RunsModel {
  /**
   * The runs limit when the "Runs per experiment" setting gives none.
   */
  export const DEFAULT_RUNS_LIMIT = 1000;

  /**
   * The options to create a model.
   */
  export interface IOptions {
    /**
     * The connection: its service is fetched from, its `isActive` gates the
     * poll, its status and error are updated at every tick.
     */
    connection: TracksideModel;
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
   * The runs of an expanded experiment.
   */
  export type IRunsState = ExperimentRuns.IState;
}
