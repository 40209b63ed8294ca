import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { TracksideModel } from '../../models/tracksideModel';
import { errorMessage } from '../../services/errorMessage';
import {
  IModelVersion,
  IRegisteredModel,
  IRegistryService
} from '../../tokens';

/**
 * One registered model and its versions, and the registry writes on them.
 * No DOM.
 *
 * It refreshes while the panel is visible and stands by otherwise. Each
 * write goes to its registry operation, then the model and its versions are
 * fetched again; a failed write rejects with MLflow's message for the view
 * to show inline, and leaves the model as it was.
 */
export class RegisteredModelModel implements IDisposable {
  /**
   * Create the model of a registered model; it starts loading at once.
   */
  constructor(options: RegisteredModelModel.IOptions) {
    this.name = options.name;
    this.connection = options.connection;
    this.registry = options.registry;
    this._canWrite = this.canWrite;
    this._poll = new Poll({
      auto: true,
      factory: () => this._fetch(),
      frequency: {
        interval: options.refreshInterval ?? RegisteredModelModel.REFRESH,
        backoff: true,
        max: 5 * 60 * 1000
      },
      name: 'jupyterlab-trackside:RegisteredModelModel',
      standby: () =>
        (this._model !== null && !this.connection.isActive) || 'when-hidden'
    });
    this.connection.activeChanged.connect(this._onActiveChanged, this);
    this.connection.statusChanged.connect(this._onStatusChanged, this);
  }

  /**
   * The registered model's name.
   */
  readonly name: string;

  /**
   * The connection (service, status, visibility, navigation).
   */
  readonly connection: TracksideModel;

  /**
   * The Model Registry service.
   */
  readonly registry: IRegistryService;

  /**
   * Emitted when the model, its versions, the error or the write
   * permission change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The registered model; `null` until loaded.
   */
  get model(): IRegisteredModel | null {
    return this._model;
  }

  /**
   * The versions, newest first; `null` until loaded.
   */
  get versions(): ReadonlyArray<IModelVersion> | null {
    return this._versions;
  }

  /**
   * Whether the model has more versions than loaded.
   */
  get hasMoreVersions(): boolean {
    return this._nextPageToken !== null;
  }

  /**
   * The error of the last fetch, `null` when it succeeded.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * Whether the Jupyter server lets the user write to the registry; `false`
   * when it does not say.
   */
  get canWrite(): boolean {
    return this.connection.status?.capabilities?.registry_write === true;
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Fetch the model and its versions again.
   */
  refresh(): Promise<void> {
    return this._fetch();
  }

  /**
   * Load the next page of versions.
   */
  async loadMoreVersions(): Promise<void> {
    const token = this._nextPageToken;
    if (token === null || this.isDisposed) {
      return;
    }
    try {
      const page = await this.registry.searchModelVersions({
        name: this.name,
        maxResults: RegisteredModelModel.VERSIONS_PAGE_SIZE,
        orderBy: RegisteredModelModel.VERSIONS_ORDER_BY,
        pageToken: token
      });
      if (this.isDisposed) {
        return;
      }
      this._versions = [
        ...(this._versions ?? []),
        ...Private.withAliases(page.modelVersions, this._model)
      ];
      this._nextPageToken = page.nextPageToken;
      this._error = null;
    } catch (reason) {
      if (this.isDisposed) {
        return;
      }
      this._error = errorMessage(reason);
    }
    this._changed.emit(undefined);
  }

  /**
   * Replace the registered model's description.
   */
  updateDescription(description: string): Promise<void> {
    return this._write(() =>
      this.registry.updateRegisteredModel(this.name, description)
    );
  }

  /**
   * Set a tag of the registered model.
   */
  setTag(key: string, value: string): Promise<void> {
    return this._write(() =>
      this.registry.setRegisteredModelTag(this.name, key, value)
    );
  }

  /**
   * Delete a tag of the registered model.
   */
  deleteTag(key: string): Promise<void> {
    return this._write(() =>
      this.registry.deleteRegisteredModelTag(this.name, key)
    );
  }

  /**
   * Point `alias` at `version` (moving it from another version).
   */
  setAlias(alias: string, version: string): Promise<void> {
    return this._write(() => this.registry.setAlias(this.name, alias, version));
  }

  /**
   * Delete an alias.
   */
  deleteAlias(alias: string): Promise<void> {
    return this._write(() => this.registry.deleteAlias(this.name, alias));
  }

  /**
   * Replace a version's description.
   */
  updateVersionDescription(
    version: string,
    description: string
  ): Promise<void> {
    return this._write(() =>
      this.registry.updateModelVersion(this.name, version, description)
    );
  }

  /**
   * Set a tag of a version.
   */
  setVersionTag(version: string, key: string, value: string): Promise<void> {
    return this._write(() =>
      this.registry.setModelVersionTag(this.name, version, key, value)
    );
  }

  /**
   * Delete a tag of a version.
   */
  deleteVersionTag(version: string, key: string): Promise<void> {
    return this._write(() =>
      this.registry.deleteModelVersionTag(this.name, version, key)
    );
  }

  /**
   * Delete a version.
   */
  deleteVersion(version: string): Promise<void> {
    return this._write(() =>
      this.registry.deleteModelVersion(this.name, version)
    );
  }

  /**
   * Show a version in detail.
   */
  showVersion(version: string): void {
    this.connection.showModelVersion(this.name, version);
  }

  /**
   * Show the run that logged a version: its experiment comes from the run.
   * Rejects with the message of a failed lookup.
   */
  async showRun(runId: string): Promise<void> {
    let experimentId: string;
    try {
      const run = await this.connection.service.getRun(runId);
      experimentId = run.info.experiment_id;
    } catch (reason) {
      throw new Error(errorMessage(reason));
    }
    if (!this.isDisposed) {
      this.connection.showRun(experimentId, runId);
    }
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
    this.connection.statusChanged.disconnect(this._onStatusChanged, this);
    this._poll.dispose();
    Signal.clearData(this);
  }

  /**
   * Run a write, then fetch again; a failure rejects with MLflow's
   * message.
   */
  private async _write(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (reason) {
      throw new Error(errorMessage(reason));
    }
    await this._fetch();
  }

  private _onActiveChanged(_: TracksideModel, isActive: boolean): void {
    if (isActive) {
      void this._poll.refresh();
    }
  }

  private _onStatusChanged(): void {
    const canWrite = this.canWrite;
    if (canWrite !== this._canWrite) {
      this._canWrite = canWrite;
      this._changed.emit(undefined);
    }
  }

  /**
   * Fetch the model and the first versions. Never rejects: a failure keeps
   * what was shown and records its message.
   */
  private async _fetch(): Promise<void> {
    const fetchId = ++this._fetchId;
    try {
      const [model, page] = await Promise.all([
        this.registry.getRegisteredModel(this.name),
        this.registry.searchModelVersions({
          name: this.name,
          maxResults: Math.max(
            RegisteredModelModel.VERSIONS_PAGE_SIZE,
            this._versions?.length ?? 0
          ),
          orderBy: RegisteredModelModel.VERSIONS_ORDER_BY
        })
      ]);
      if (this.isDisposed || fetchId !== this._fetchId) {
        return;
      }
      this._model = model;
      this._versions = Private.withAliases(page.modelVersions, model);
      this._nextPageToken = page.nextPageToken;
      this._error = null;
    } catch (reason) {
      if (this.isDisposed || fetchId !== this._fetchId) {
        return;
      }
      this._error = errorMessage(reason);
    }
    this._changed.emit(undefined);
  }

  private _poll: Poll;
  private _isDisposed = false;
  private _fetchId = 0;
  private _canWrite = false;
  private _model: IRegisteredModel | null = null;
  private _versions: ReadonlyArray<IModelVersion> | null = null;
  private _nextPageToken: string | null = null;
  private _error: string | null = null;
  private _changed = new Signal<this, void>(this);
}

/**
 * A namespace for `RegisteredModelModel` statics.
 */
export namespace RegisteredModelModel {
  /**
   * How often the model is refreshed while shown (ms).
   */
  export const REFRESH = 15 * 1000;

  /**
   * The versions of one page.
   */
  export const VERSIONS_PAGE_SIZE = 200;

  /**
   * Newest version first.
   */
  export const VERSIONS_ORDER_BY: ReadonlyArray<string> = [
    'version_number DESC'
  ];

  /**
   * The options to create the model.
   */
  export interface IOptions {
    name: string;
    connection: TracksideModel;
    registry: IRegistryService;
    refreshInterval?: number;
  }
}

namespace Private {
  /**
   * The versions with the aliases the registered model says point at them:
   * MLflow's version search leaves a version's aliases out.
   */
  export function withAliases(
    versions: ReadonlyArray<IModelVersion>,
    model: IRegisteredModel | null
  ): IModelVersion[] {
    return versions.map(version => {
      const aliases = (model?.aliases ?? []).filter(
        alias => alias.version === version.version
      );
      const own = version.aliases.filter(
        alias => !aliases.some(other => other.alias === alias.alias)
      );
      return { ...version, aliases: [...aliases, ...own] };
    });
  }
}
