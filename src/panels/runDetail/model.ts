import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { IPanelSources } from '../../models/panelSources';
import { TracksideModel } from '../../models/tracksideModel';
import { errorMessage } from '../../services/errorMessage';
import { HistoryFollower } from '../../stream/historyFollower';
import {
  IArtifactList,
  IBackfill,
  ILoggedModel,
  IModelFilesService,
  IRun,
  ISeriesStore
} from '../../tokens';
import { FileTreeModel } from '../../widgets/artifactPreview/fileTree';

/**
 * The model of one run shown in detail: the run, refreshed while it runs
 * and the panel is visible, and its artifacts, fetched once. No DOM.
 *
 * The run is fetched at once (even with the panel hidden); after that the
 * poll stands by while the panel is hidden or the run is no longer
 * running, and showing the panel fetches it once more. A running run that
 * no kernel streams (`mlflow run`, a script in a terminal) is read every
 * `FOLLOW_REFRESH` ms and its changed metrics are followed with incremental
 * history reads (see `HistoryFollower`); a streamed one every
 * `RUNNING_REFRESH` ms.
 */
export class RunDetailModel implements IDisposable {
  /**
   * Create the model of a run; it starts loading at once.
   */
  constructor(options: RunDetailModel.IOptions) {
    this.runId = options.runId;
    this.experimentId = options.experimentId;
    this.connection = options.connection;
    this.store = options.store ?? null;
    this.backfill = options.backfill ?? null;
    this.modelFiles = options.modelFiles ?? null;
    this._refreshInterval =
      options.refreshInterval ?? RunDetailModel.RUNNING_REFRESH;
    this._followInterval =
      options.followInterval ?? RunDetailModel.FOLLOW_REFRESH;
    this._follower = this.backfill
      ? new HistoryFollower({ runId: this.runId, backfill: this.backfill })
      : null;
    this._poll = new Poll({
      auto: true,
      factory: () => this._fetchRun(),
      frequency: { interval: this._refreshInterval, backoff: false },
      name: 'jupyterlab-trackside:RunDetailModel',
      standby: () => !this._wantsFetch() || 'when-hidden'
    });
    this.connection.activeChanged.connect(this._onActiveChanged, this);
    void this._fetchArtifacts();
    void this._fetchLoggedModels();
  }

  /**
   * The run id.
   */
  readonly runId: string;

  /**
   * The id of the run's experiment.
   */
  readonly experimentId: string;

  /**
   * Emitted when the run or its error changes.
   */
  get runChanged(): ISignal<this, void> {
    return this._runChanged;
  }

  /**
   * Emitted when the artifacts or their error change.
   */
  get artifactsChanged(): ISignal<this, void> {
    return this._artifactsChanged;
  }

  /**
   * Emitted when the run's models (logged models, models among the
   * artifacts) or their errors change.
   */
  get modelsChanged(): ISignal<this, void> {
    return this._modelsChanged;
  }

  /**
   * The logged models and files service; `null`: no models, no previews.
   */
  readonly modelFiles: IModelFilesService | null;

  /**
   * The MLflow 3 logged models of the run; `null` until loaded (or
   * without a model files service).
   */
  get loggedModels(): ReadonlyArray<ILoggedModel> | null {
    return this._loggedModels;
  }

  /**
   * Why the logged models could not be read; `null` if they could.
   */
  get loggedModelsError(): string | null {
    return this._loggedModelsError;
  }

  /**
   * The folders of the run's artifacts that hold an old-style model (an
   * `MLmodel` file), first level or one below; `null` until searched.
   */
  get artifactModels(): ReadonlyArray<string> | null {
    return this._artifactModels;
  }

  /**
   * The run's artifacts as a tree with previews; `null` without a model
   * files service or until the artifacts are listed.
   */
  get artifactTree(): FileTreeModel | null {
    return this._tree;
  }

  /**
   * Whether the user may register the run's models.
   */
  get canRegister(): boolean {
    return this.connection.status?.capabilities?.registry_write === true;
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
   * The run; `null` until loaded.
   */
  get run(): IRun | null {
    return this._run;
  }

  /**
   * The error of the last fetch of the run, `null` when it succeeded.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * The artifacts; `null` until loaded.
   */
  get artifacts(): IArtifactList | null {
    return this._artifacts;
  }

  /**
   * The error of the artifacts listing, `null` if none.
   */
  get artifactsError(): string | null {
    return this._artifactsError;
  }

  /**
   * Whether the run is running.
   */
  get isRunning(): boolean {
    return this._run?.info.status === 'RUNNING';
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The metric keys to chart, sorted: those MLflow holds, and those already
   * streaming live that it may not hold yet.
   */
  metricKeys(): string[] {
    const run = this._run;
    if (!run) {
      return [];
    }
    return Array.from(
      new Set([
        ...run.data.metrics.map(m => m.key),
        ...(this.store?.keys(run.info.run_id) ?? [])
      ])
    ).sort();
  }

  /**
   * Dispose the model and stop refreshing.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.connection.activeChanged.disconnect(this._onActiveChanged, this);
    this._poll.dispose();
    this._tree?.dispose();
    Signal.clearData(this);
  }

  /**
   * Whether the poll should fetch: the first load, once more when the panel
   * is shown, and while the run runs with the panel visible.
   */
  private _wantsFetch(): boolean {
    return (
      this._run === null ||
      this._fetchOnce ||
      (this.connection.isActive && this.isRunning)
    );
  }

  private _onActiveChanged(_: TracksideModel, isActive: boolean): void {
    if (isActive && this._run !== null) {
      this._fetchOnce = true;
      void this._poll.refresh();
    }
  }

  /**
   * Fetch the run. Never rejects: a failure keeps the last run and shows
   * its error.
   */
  private async _fetchRun(): Promise<void> {
    this._fetchOnce = false;
    try {
      const run = await this.connection.service.getRun(this.runId);
      if (this.isDisposed) {
        return;
      }
      this._run = run;
      this._error = null;
      this._follow(run);
    } catch (reason) {
      if (this.isDisposed) {
        return;
      }
      this._error = errorMessage(reason);
    }
    this._runChanged.emit(undefined);
  }

  private async _fetchArtifacts(): Promise<void> {
    try {
      const list = await this.connection.service.listArtifacts(this.runId);
      if (this.isDisposed) {
        return;
      }
      this._artifacts = list;
      this._artifactsError = null;
      if (this.modelFiles && !this._tree) {
        this._tree = new FileTreeModel({
          owner: { runId: this.runId },
          service: this.modelFiles,
          files: list.files
        });
      }
      void this._findArtifactModels(list);
    } catch (reason) {
      if (this.isDisposed) {
        return;
      }
      this._artifacts = null;
      this._artifactsError = errorMessage(reason);
    }
    this._artifactsChanged.emit(undefined);
  }

  private async _fetchLoggedModels(): Promise<void> {
    if (!this.modelFiles) {
      return;
    }
    try {
      const models = await this.modelFiles.searchRunLoggedModels(
        this.experimentId,
        this.runId
      );
      if (this.isDisposed) {
        return;
      }
      this._loggedModels = models;
      this._loggedModelsError = null;
    } catch (reason) {
      if (this.isDisposed) {
        return;
      }
      this._loggedModelsError = errorMessage(reason);
    }
    this._modelsChanged.emit(undefined);
  }

  /**
   * Find the folders holding an `MLmodel` file: the root, each first-level
   * folder, and the folders one below (at most `MAX_MODEL_FOLDERS`
   * listings).
   */
  private async _findArtifactModels(list: IArtifactList): Promise<void> {
    if (!this.modelFiles) {
      return;
    }
    const found: string[] = [];
    const hasMLmodel = (files: IArtifactList['files']) =>
      files.some(
        file => !file.is_dir && file.path.split('/').pop() === 'MLmodel'
      );
    let budget = RunDetailModel.MAX_MODEL_FOLDERS;
    const search = async (folders: string[], depth: number): Promise<void> => {
      for (const folder of folders) {
        if (budget-- <= 0 || this.isDisposed) {
          return;
        }
        let files: IArtifactList['files'];
        try {
          files = (
            await this.connection.service.listArtifacts(this.runId, folder)
          ).files;
        } catch {
          continue;
        }
        if (hasMLmodel(files)) {
          found.push(folder);
        } else if (depth > 0) {
          await search(
            files.filter(file => file.is_dir).map(file => file.path),
            depth - 1
          );
        }
      }
    };
    if (hasMLmodel(list.files)) {
      found.push('');
    } else {
      await search(
        list.files.filter(file => file.is_dir).map(file => file.path),
        1
      );
    }
    if (this.isDisposed) {
      return;
    }
    this._artifactModels = found;
    this._modelsChanged.emit(undefined);
  }

  /**
   * Follow the run's metrics, and read the run as often as they need.
   */
  private _follow(run: IRun): void {
    if (!this._follower) {
      return;
    }
    this._follower.update(run);
    const interval = this._follower.isFollowing(run)
      ? Math.min(this._followInterval, this._refreshInterval)
      : this._refreshInterval;
    if (interval !== this._poll.frequency.interval) {
      // Applies from the next tick, which is scheduled after this one.
      this._poll.frequency = { ...this._poll.frequency, interval };
    }
  }

  private _poll: Poll;
  private _follower: HistoryFollower | null;
  private _refreshInterval: number;
  private _followInterval: number;
  private _isDisposed = false;
  private _fetchOnce = false;
  private _run: IRun | null = null;
  private _error: string | null = null;
  private _artifacts: IArtifactList | null = null;
  private _artifactsError: string | null = null;
  private _loggedModels: ReadonlyArray<ILoggedModel> | null = null;
  private _loggedModelsError: string | null = null;
  private _artifactModels: ReadonlyArray<string> | null = null;
  private _tree: FileTreeModel | null = null;
  private _modelsChanged = new Signal<this, void>(this);
  private _runChanged = new Signal<this, void>(this);
  private _artifactsChanged = new Signal<this, void>(this);
}

/**
 * A namespace for `RunDetailModel` statics.
 */
export namespace RunDetailModel {
  /**
   * How often a running run is refreshed while the detail is shown (ms).
   */
  export const RUNNING_REFRESH = 5000;

  /**
   * How often a running run that no kernel streams is read while the
   * detail is shown (ms): its curves then move at least once a second.
   */
  export const FOLLOW_REFRESH = 750;

  /**
   * The most artifact folders listed to find old-style models.
   */
  export const MAX_MODEL_FOLDERS = 40;

  /**
   * The options to create the model of a run.
   */
  export interface IOptions extends IPanelSources {
    experimentId: string;
    runId: string;
    /**
     * The refresh interval of a running run (ms); `RUNNING_REFRESH` by
     * default.
     */
    refreshInterval?: number;
    /**
     * The refresh interval of a running run with no live stream (ms);
     * `FOLLOW_REFRESH` by default.
     */
    followInterval?: number;
    /**
     * Logged models and file previews; none without it.
     */
    modelFiles?: IModelFilesService | null;
  }
}
