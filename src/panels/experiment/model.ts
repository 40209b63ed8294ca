import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { refreshPoll } from '../../models/refreshPoll';
import { TracksideModel } from '../../models/tracksideModel';
import { IBackfill, IExperiment, IRun, ISeriesStore } from '../../tokens';
import { ExperimentRuns } from '../runs/experimentRuns';
import { RunsModel } from '../runs/model';
import { NewRunWatcher } from '../runs/newRuns';
import { RunsTableModel } from '../runs/tableModel';

/**
 * The model of the full-width experiment view: one experiment's runs, the
 * runs of it that are selected, and the metric keys to chart over them.
 * No DOM.
 *
 * The runs are loaded by their own `ExperimentRuns` and refreshed by their
 * own poll, which stands by while the view is hidden (`isActive`): the
 * view keeps working with the sidebar closed. The selection is the runs
 * model's (one selection for the sidebar and every experiment view), and
 * so are the refresh interval and the runs limit (the panel settings).
 *
 * The keys follow the selection, the loaded runs and the series store, so
 * a key that a selected run starts to stream appears at once.
 */
export class ExperimentModel implements IDisposable {
  /**
   * Create the model; the runs start loading at once.
   */
  constructor(options: ExperimentModel.IOptions) {
    this.experimentId = options.experimentId;
    this.runsModel = options.runs;
    this.store = options.store ?? null;
    this.backfill = options.backfill ?? null;
    const runs = this.runsModel;
    this._entry = new ExperimentRuns({
      experimentId: this.experimentId,
      service: runs.connection.service,
      limit: () => runs.runsLimit
    });
    this._poll = new Poll({
      auto: true,
      factory: () => this._tick(),
      frequency: TracksideModel.refreshFrequency(runs.refreshInterval),
      name: 'jupyterlab-trackside:ExperimentModel',
      standby: () => !this._isActive || 'when-hidden'
    });
    this._newRuns = this.store
      ? new NewRunWatcher({
          store: this.store,
          isKnown: runId => this._entry.has(runId),
          isEnabled: () => this._isActive,
          refresh: () => this.refresh()
        })
      : null;
    this._entry.changed.connect(this._update, this);
    runs.selection.changed.connect(this._update, this);
    runs.experimentsChanged.connect(this._onExperimentsChanged, this);
    this.store?.changed.connect(this._onSeriesChanged, this);
    this._name = Private.nameOf(runs.experiments, this.experimentId);
    if (this._name === null) {
      void this._fetchName();
    }
    this._entry.setExpanded(true);
  }

  /**
   * The experiment shown.
   */
  readonly experimentId: string;

  /**
   * The runs model of the panel: the shared selection and navigation, and
   * the settings (not owned).
   */
  readonly runsModel: RunsModel;

  /**
   * The live series store the charts draw from; `null` for no charts.
   */
  readonly store: ISeriesStore | null;

  /**
   * The backfill the charts ask for history; `null` for none.
   */
  readonly backfill: IBackfill | null;

  /**
   * Emitted when the runs, the name, the selected runs, their metric keys
   * or `isActive` change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The connection (status, navigation) and its service.
   */
  get connection(): TracksideModel {
    return this.runsModel.connection;
  }

  /**
   * The experiment's name; `null` until known.
   */
  get name(): string | null {
    return this._name;
  }

  /**
   * The runs state: the runs, whether they are loading, the last error.
   */
  get state(): ExperimentRuns.IState {
    return this._entry.state ?? Private.EMPTY_STATE;
  }

  /**
   * The view state (sort, columns, nesting) of the runs table.
   */
  get table(): RunsTableModel {
    return this._entry.table;
  }

  /**
   * The loaded runs of the experiment that are selected, in selection
   * order. A new array whenever they or their keys change.
   */
  get selectedRuns(): ReadonlyArray<IRun> {
    return this._charted.runs;
  }

  /**
   * The metric keys of the selected runs (logged to MLflow or streaming in
   * the store), sorted: one chart each.
   */
  get keys(): ReadonlyArray<string> {
    return this._charted.keys;
  }

  /**
   * Whether the view is visible; the poll stands by while it is not.
   * Becoming active refreshes at once.
   */
  get isActive(): boolean {
    return this._isActive;
  }
  set isActive(value: boolean) {
    if (this.isDisposed || this._isActive === value) {
      return;
    }
    this._isActive = value;
    // Running durations tick only while the view is visible.
    this._changed.emit(undefined);
    if (value) {
      void this.refresh();
    }
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Refresh the runs now. Never rejects; a failure is in `state.error` or,
   * when the backend is unreachable, makes the poll back off.
   */
  async refresh(): Promise<void> {
    await refreshPoll(this._poll);
  }

  /**
   * Dispose the model, its runs and its poll.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    const runs = this.runsModel;
    runs.selection.changed.disconnect(this._update, this);
    runs.experimentsChanged.disconnect(this._onExperimentsChanged, this);
    this.store?.changed.disconnect(this._onSeriesChanged, this);
    this._newRuns?.dispose();
    this._poll.dispose();
    this._entry.dispose();
    Signal.clearData(this);
  }

  /**
   * One poll tick: fetch the runs again, unless the first pages are still
   * loading. Rejects when the backend is unreachable, so the poll backs off.
   */
  private async _tick(): Promise<void> {
    const frequency = TracksideModel.refreshFrequency(
      this.runsModel.refreshInterval
    );
    if (frequency.interval !== this._poll.frequency.interval) {
      // The "refresh interval" setting changed since the last tick.
      this._poll.frequency = frequency;
    }
    if (this._entry.state?.isLoading) {
      return;
    }
    const apply = await this._entry.refresh();
    if (!this.isDisposed) {
      apply();
    }
  }

  /**
   * Recompute the selected runs and their keys; emit if anything changed.
   */
  private _update(): void {
    if (this.isDisposed) {
      return;
    }
    const state = this.state;
    const selected = new Set(this.runsModel.selection.ids);
    const runs = (state.runs ?? []).filter(run =>
      selected.has(run.info.run_id)
    );
    const order = this.runsModel.selection.ids;
    runs.sort(
      (a, b) => order.indexOf(a.info.run_id) - order.indexOf(b.info.run_id)
    );
    const keys = Private.metricKeys(runs, this.store);
    const charted = this._charted;
    const same =
      runs.length === charted.runs.length &&
      runs.every((run, i) => run === charted.runs[i]) &&
      keys.join('\n') === charted.keys.join('\n');
    if (!same) {
      this._charted = { runs, keys };
    }
    if (!same || state !== this._lastState) {
      this._lastState = state;
      this._changed.emit(undefined);
    }
  }

  /**
   * A point of a selected run may bring a new key (a removal may drop one).
   */
  private _onSeriesChanged(
    _: ISeriesStore,
    change: ISeriesStore.IChangedArgs
  ): void {
    if (
      this._charted.runs.some(run => run.info.run_id === change.runId) &&
      (change.removed || !this._charted.keys.includes(change.key))
    ) {
      this._update();
    }
  }

  private _onExperimentsChanged(
    _: RunsModel,
    experiments: ReadonlyArray<IExperiment> | null
  ): void {
    const name = Private.nameOf(experiments, this.experimentId);
    if (name !== null) {
      this._setName(name);
    }
  }

  /**
   * Ask the backend for the name of an experiment the runs model has not
   * loaded (a view restored before the sidebar was shown).
   */
  private async _fetchName(): Promise<void> {
    try {
      const experiment = await this.connection.service.getExperiment(
        this.experimentId
      );
      if (!this.isDisposed && this._name === null) {
        this._setName(experiment.name || this.experimentId);
      }
    } catch {
      // The title keeps the id; the runs show the error, if any.
    }
  }

  private _setName(name: string): void {
    if (this.isDisposed || name === this._name) {
      return;
    }
    this._name = name;
    this._changed.emit(undefined);
  }

  private _entry: ExperimentRuns;
  private _poll: Poll;
  private _newRuns: NewRunWatcher | null;
  private _isActive = false;
  private _isDisposed = false;
  private _name: string | null;
  private _lastState: ExperimentRuns.IState | null = null;
  private _charted: { runs: ReadonlyArray<IRun>; keys: string[] } = {
    runs: [],
    keys: []
  };
  private _changed = new Signal<this, void>(this);
}

/**
 * A namespace for `ExperimentModel` statics.
 */
export namespace ExperimentModel {
  /**
   * The options to create the model.
   */
  export interface IOptions {
    experimentId: string;
    /**
     * The runs model of the panel: its selection is shared, its connection
     * gives the service, its settings apply.
     */
    runs: RunsModel;
    /**
     * The live series store; no live keys or new-run refresh without it.
     */
    store?: ISeriesStore | null;
    /**
     * The shared backfill of the series store.
     */
    backfill?: IBackfill | null;
  }
}

namespace Private {
  /**
   * The runs state before the first load.
   */
  export const EMPTY_STATE: ExperimentRuns.IState = {
    runs: null,
    isLoading: true,
    isComplete: true,
    error: null
  };

  /**
   * The name of an experiment among those loaded, `null` when unknown.
   */
  export function nameOf(
    experiments: ReadonlyArray<IExperiment> | null,
    experimentId: string
  ): string | null {
    const experiment = experiments?.find(e => e.experiment_id === experimentId);
    return experiment ? experiment.name || experimentId : null;
  }

  /**
   * The metric keys of runs, in MLflow or live in the store, sorted.
   */
  export function metricKeys(
    runs: ReadonlyArray<IRun>,
    store: ISeriesStore | null
  ): string[] {
    const keys = new Set<string>();
    for (const run of runs) {
      run.data.metrics.forEach(metric => keys.add(metric.key));
      store?.keys(run.info.run_id).forEach(key => keys.add(key));
    }
    return Array.from(keys).sort();
  }
}
