import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { IPanelSources } from '../../models/panelSources';
import { TracksideModel } from '../../models/tracksideModel';
import { errorMessage } from '../../services/errorMessage';
import { IBackfill, IExperiment, IRun, ISeriesStore } from '../../tokens';

/**
 * The model of a comparison: the compared runs, fetched once, and the runs
 * that could not be loaded. No DOM.
 */
export class CompareModel implements IDisposable {
  /**
   * Create the model of a comparison; it starts loading at once.
   */
  constructor(options: CompareModel.IOptions) {
    this.runIds = [...options.runIds];
    this.connection = options.connection;
    this.store = options.store ?? null;
    this.backfill = options.backfill ?? null;
    this._experiments = options.experiments ?? null;
    void this._load();
  }

  /**
   * The ids of the compared runs, in the order asked.
   */
  readonly runIds: ReadonlyArray<string>;

  /**
   * Emitted once the runs are loaded.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The connection (service, visibility, navigation).
   */
  readonly connection: TracksideModel;

  /**
   * The series store the charts draw from; `null` for no charts.
   */
  readonly store: ISeriesStore | null;

  /**
   * The backfill the charts ask for history; `null` for none.
   */
  readonly backfill: IBackfill | null;

  /**
   * The runs that could be loaded, in the order asked; `null` while loading.
   */
  get runs(): ReadonlyArray<IRun> | null {
    return this._runs;
  }

  /**
   * The runs that could not be loaded, with the reason.
   */
  get failures(): ReadonlyArray<CompareModel.IFailure> {
    return this._failures;
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The name of an experiment, `null` when unknown.
   */
  experimentName(experimentId: string): string | null {
    const experiments = this._experiments?.() ?? [];
    return (
      experiments.find(e => e.experiment_id === experimentId)?.name ?? null
    );
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

  private async _load(): Promise<void> {
    const results = await Promise.allSettled(
      this.runIds.map(id => this.connection.service.getRun(id))
    );
    if (this.isDisposed) {
      return;
    }
    const runs: IRun[] = [];
    const failures: CompareModel.IFailure[] = [];
    results.forEach((result, index) => {
      if (result.status === 'fulfilled') {
        runs.push(result.value);
      } else {
        const reason = result.reason;
        failures.push({
          runId: this.runIds[index],
          message: errorMessage(reason)
        });
      }
    });
    this._runs = runs;
    this._failures = failures;
    this._changed.emit(undefined);
  }

  private _experiments: (() => ReadonlyArray<IExperiment> | null) | null;
  private _isDisposed = false;
  private _runs: ReadonlyArray<IRun> | null = null;
  private _failures: ReadonlyArray<CompareModel.IFailure> = [];
  private _changed = new Signal<this, void>(this);
}

/**
 * A namespace for `CompareModel` statics.
 */
export namespace CompareModel {
  /**
   * The options to create the model of a comparison.
   */
  export interface IOptions extends IPanelSources {
    runIds: ReadonlyArray<string>;
    /**
     * The known experiments, for the names of the runs' experiments.
     */
    experiments?: () => ReadonlyArray<IExperiment> | null;
  }

  /**
   * A run that could not be loaded.
   */
  export interface IFailure {
    readonly runId: string;
    readonly message: string;
  }
}
