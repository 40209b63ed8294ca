import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { TracksideModel } from '../../models/tracksideModel';
import { errorMessage } from '../../services/errorMessage';
import {
  FileResult,
  IFileInfo,
  IFileRef,
  ILoggedModel,
  IModelFilesService,
  IModelVersion,
  IRegistryService
} from '../../tokens';
import { FileTreeModel } from '../../widgets/artifactPreview/fileTree';
import { exampleTable, IExampleTable } from './inputExample';
import { IModelLocation, joinPath, versionLocation } from './location';
import { IMLmodel, MLMODEL_FILE, parseMLmodel } from './mlmodel';
import { loadSnippet, ModelReference } from './snippet';

/**
 * Which model the view shows: a registered version, a MLflow 3 logged
 * model, or an old-style model under a run's artifacts.
 */
export type ModelTarget = Extract<
  TracksideModel.View,
  { kind: 'modelVersion' | 'loggedModel' | 'runArtifactModel' }
>;

/**
 * A part of the view that loads on its own: its value, or why it failed.
 */
export type Part<T> =
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly value: T }
  | { readonly status: 'missing' }
  | { readonly status: 'tooLarge'; readonly message: string }
  | { readonly status: 'error'; readonly message: string };

/**
 * The model of the model view: resolves the target to its files, reads
 * the `MLmodel` file, the input example, the requirements and the size;
 * no DOM. Fetched once; `reload()` fetches again.
 */
export class ModelViewModel implements IDisposable {
  /**
   * Create the model; it starts loading at once.
   */
  constructor(options: ModelViewModel.IOptions) {
    this.target = options.target;
    this.connection = options.connection;
    this._files = options.files;
    this._registry = options.registry ?? null;
    void this.reload();
  }

  readonly target: ModelTarget;

  /**
   * The connection: navigation and the user's capabilities.
   */
  readonly connection: TracksideModel;

  /**
   * Emitted whenever a part changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Why the model could not be found; `null` while loading or found.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * The registered version shown; `null` for other targets or until loaded.
   */
  get version(): IModelVersion | null {
    return this._version;
  }

  /**
   * The logged model shown (or behind the version); `null` if none.
   */
  get loggedModel(): ILoggedModel | null {
    return this._loggedModel;
  }

  /**
   * Where the model's files are; `null` until resolved.
   */
  get location(): IModelLocation | null {
    return this._location;
  }

  /**
   * The parsed `MLmodel` file.
   */
  get mlmodel(): Part<IMLmodel> {
    return this._mlmodel;
  }

  /**
   * The `MLmodel` file's text.
   */
  get mlmodelText(): string | null {
    return this._mlmodelText;
  }

  get inputExample(): Part<IExampleTable> {
    return this._inputExample;
  }

  /**
   * The `requirements.txt` file's text.
   */
  get requirements(): Part<string> {
    return this._requirements;
  }

  /**
   * The model's size in bytes: MLflow's `model_size_bytes`, else the sum of
   * its files.
   */
  get size(): Part<number> {
    return this._size;
  }

  /**
   * The model's files, with previews; `null` until resolved.
   */
  get files(): FileTreeModel | null {
    return this._tree;
  }

  /**
   * Whether the user may register the model (a logged model or a run
   * model, a registry service, and the registry-write capability).
   */
  get canRegister(): boolean {
    return (
      this.target.kind !== 'modelVersion' &&
      this._registry !== null &&
      this._location !== null &&
      this.connection.status?.capabilities?.registry_write === true
    );
  }

  /**
   * The ways to refer to the model in a snippet: a version by number and by
   * each alias, a logged model by id, a run model by run and path.
   */
  get references(): ModelReference[] {
    const target = this.target;
    switch (target.kind) {
      case 'modelVersion':
        return [
          { kind: 'version', name: target.name, version: target.version },
          ...(this._version?.aliases ?? []).map(alias => ({
            kind: 'alias' as const,
            name: target.name,
            alias: alias.alias
          }))
        ];
      case 'loggedModel':
        return [{ kind: 'loggedModel', modelId: target.modelId }];
      case 'runArtifactModel':
        return [
          { kind: 'runArtifact', runId: target.runId, path: target.path }
        ];
    }
  }

  /**
   * The load snippet of a reference, with the native loaders of the
   * model's flavors.
   */
  snippet(reference: ModelReference): string {
    const flavors =
      this._mlmodel.status === 'ready' ? this._mlmodel.value.flavors : [];
    return loadSnippet(reference, flavors);
  }

  /**
   * What registering the model sends: its source and the ids MLflow links
   * the version to; `null` when the location is not known.
   */
  registrationSource(): IRegistration | null {
    const location = this._location;
    if (!location) {
      return null;
    }
    if (location.owner.modelId !== undefined) {
      return {
        source: `models:/${location.owner.modelId}`,
        modelId: location.owner.modelId,
        runId: this._loggedModel?.source_run_id ?? undefined
      };
    }
    return {
      source: `runs:/${location.owner.runId}/${location.root}`,
      runId: location.owner.runId
    };
  }

  /**
   * Navigate to a registered version (e.g. the one just registered).
   */
  showVersion(version: IModelVersion): void {
    this.connection.showModelVersion(version.name, version.version);
  }

  /**
   * Navigate back: to the run for run models, to the registered model for
   * versions, else to the list.
   */
  back(): void {
    const target = this.target;
    if (target.kind === 'modelVersion') {
      this.connection.showRegisteredModel(target.name);
      return;
    }
    const runId =
      target.kind === 'runArtifactModel'
        ? target.runId
        : (target.runId ?? this._loggedModel?.source_run_id ?? null);
    if (runId && this._experimentId) {
      this.connection.showRun(this._experimentId, runId);
    } else {
      this.connection.showModels();
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._tree?.dispose();
    Signal.clearData(this);
  }

  /**
   * Load (again) everything the view shows. Never rejects.
   */
  async reload(): Promise<void> {
    this._reset();
    try {
      this._location = await this._resolve();
    } catch (reason) {
      if (!this._isDisposed) {
        this._error = errorMessage(reason);
        this._emit();
      }
      return;
    }
    if (this._isDisposed) {
      return;
    }
    const location = this._location;
    this._tree?.dispose();
    this._tree = new FileTreeModel({
      owner: location.owner,
      root: location.root,
      service: this._files
    });
    this._emit();
    await Promise.all([
      this._loadMLmodel(location),
      this._loadRequirements(location),
      this._tree.load()
    ]);
    await this._loadSize(location);
  }

  private _reset(): void {
    this._error = null;
    this._mlmodel = { status: 'loading' };
    this._mlmodelText = null;
    this._inputExample = { status: 'loading' };
    this._requirements = { status: 'loading' };
    this._size = { status: 'loading' };
  }

  /**
   * Find the model's files (and its version or logged model).
   */
  private async _resolve(): Promise<IModelLocation> {
    const target = this.target;
    if (target.kind === 'runArtifactModel') {
      await this._findExperiment(target.runId);
      return { owner: { runId: target.runId }, root: target.path };
    }
    if (target.kind === 'loggedModel') {
      const logged = await this._files.getLoggedModel(target.modelId);
      this._loggedModel = logged;
      this._experimentId = logged.experiment_id;
      return { owner: { modelId: target.modelId }, root: '' };
    }
    if (!this._registry) {
      throw new Error('The Model Registry service is not available.');
    }
    const version = await this._registry.getModelVersion(
      target.name,
      target.version
    );
    this._version = version;
    const location = versionLocation(version);
    if (!location) {
      throw new Error(
        `Cannot read the files of ${target.name} version ${target.version}: unknown source ${version.source}`
      );
    }
    if (location.owner.modelId !== undefined) {
      try {
        this._loggedModel = await this._files.getLoggedModel(
          location.owner.modelId
        );
      } catch {
        // The files are still readable by id: the view shows them without
        // the logged model's facts.
      }
    }
    return location;
  }

  private async _findExperiment(runId: string): Promise<void> {
    try {
      const run = await this.connection.service.getRun(runId);
      this._experimentId = run.info.experiment_id;
    } catch {
      // Only the way back needs it.
    }
  }

  private async _loadMLmodel(location: IModelLocation): Promise<void> {
    const answer = await this._fetch(location, MLMODEL_FILE);
    if (answer.status !== 'ready') {
      this._mlmodel = answer;
      this._inputExample = { status: 'missing' };
      this._emit();
      return;
    }
    this._mlmodelText = answer.value;
    let mlmodel: IMLmodel;
    try {
      mlmodel = parseMLmodel(answer.value);
    } catch (reason) {
      this._mlmodel = { status: 'error', message: errorMessage(reason) };
      this._inputExample = { status: 'missing' };
      this._emit();
      return;
    }
    this._mlmodel = { status: 'ready', value: mlmodel };
    this._emit();
    const info = mlmodel.inputExample;
    if (!info) {
      this._inputExample = { status: 'missing' };
      this._emit();
      return;
    }
    const example = await this._fetch(location, info.path);
    if (example.status !== 'ready') {
      this._inputExample = example;
    } else {
      try {
        this._inputExample = {
          status: 'ready',
          value: exampleTable(JSON.parse(example.value))
        };
      } catch {
        this._inputExample = {
          status: 'error',
          message: `${info.path} is not valid JSON.`
        };
      }
    }
    this._emit();
  }

  private async _loadRequirements(location: IModelLocation): Promise<void> {
    this._requirements = await this._fetch(location, 'requirements.txt');
    this._emit();
  }

  /**
   * The size: MLflow's own figure when the `MLmodel` has one, else the sum
   * of the files (folders listed down to a few levels).
   */
  private async _loadSize(location: IModelLocation): Promise<void> {
    const recorded =
      this._mlmodel.status === 'ready' ? this._mlmodel.value.sizeBytes : null;
    if (recorded !== null) {
      this._size = { status: 'ready', value: recorded };
      this._emit();
      return;
    }
    try {
      const total = await this._sumSizes(
        location,
        location.root,
        this._tree?.files() ?? null,
        ModelViewModel.SIZE_DEPTH
      );
      this._size = { status: 'ready', value: total };
    } catch (reason) {
      this._size = { status: 'error', message: errorMessage(reason) };
    }
    this._emit();
  }

  private async _sumSizes(
    location: IModelLocation,
    folder: string,
    listed: ReadonlyArray<IFileInfo> | null,
    depth: number
  ): Promise<number> {
    const files =
      listed ?? (await this._files.listFiles(location.owner, folder));
    let total = 0;
    for (const file of files) {
      if (!file.is_dir) {
        total += file.file_size ?? 0;
      } else if (depth > 0) {
        total += await this._sumSizes(location, file.path, null, depth - 1);
      }
    }
    return total;
  }

  /**
   * Fetch a text file of the model; a missing file is `missing`.
   */
  private async _fetch(
    location: IModelLocation,
    name: string
  ): Promise<Part<string>> {
    const file: IFileRef = {
      ...location.owner,
      path: joinPath(location.root, name)
    };
    let result: FileResult<string>;
    try {
      result = await this._files.fetchText(file);
    } catch (reason) {
      const status = (reason as { status?: number }).status;
      return status === 404
        ? { status: 'missing' }
        : { status: 'error', message: errorMessage(reason) };
    }
    if (result.kind === 'tooLarge') {
      return { status: 'tooLarge', message: result.message };
    }
    return { status: 'ready', value: result.value };
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _files: IModelFilesService;
  private _registry: IRegistryService | null;
  private _isDisposed = false;
  private _error: string | null = null;
  private _experimentId: string | null = null;
  private _version: IModelVersion | null = null;
  private _loggedModel: ILoggedModel | null = null;
  private _location: IModelLocation | null = null;
  private _tree: FileTreeModel | null = null;
  private _mlmodel: Part<IMLmodel> = { status: 'loading' };
  private _mlmodelText: string | null = null;
  private _inputExample: Part<IExampleTable> = { status: 'loading' };
  private _requirements: Part<string> = { status: 'loading' };
  private _size: Part<number> = { status: 'loading' };
  private _changed = new Signal<this, void>(this);
}

/**
 * What registering a model sends besides the name.
 */
export interface IRegistration {
  readonly source: string;
  readonly runId?: string;
  readonly modelId?: string;
}

/**
 * A namespace for `ModelViewModel` statics.
 */
export namespace ModelViewModel {
  /**
   * How many folder levels the size sums when MLflow did not record it.
   */
  export const SIZE_DEPTH = 3;

  export interface IOptions {
    target: ModelTarget;
    connection: TracksideModel;
    files: IModelFilesService;
    /**
     * The registry: versions are read and models registered through it.
     */
    registry?: IRegistryService | null;
  }
}
