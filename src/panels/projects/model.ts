import { PathExt } from '@jupyterlab/coreutils';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { errorMessage } from '../../services/errorMessage';
import { TracksideRequestError } from '../../services/request';
import {
  IProjectEntryPoint,
  IProjectsClient,
  IStartExecutionOptions
} from '../../tokens';
import { displayCommand, ENV_MANAGERS } from './commandLine';
import { ExecutionsModel } from './executions';
import { MLprojectResult, parseMLproject } from './mlproject';
import { checkParameters } from './paramRules';

/**
 * An MLproject opened in the project view: the spec read from the
 * document's text (again whenever it changes), the run form of each entry
 * point, starting a run, and the project's executions. No DOM.
 */
export class ProjectModel implements IDisposable {
  /**
   * Create the model; it reads the text and loads at once.
   */
  constructor(options: ProjectModel.IOptions) {
    this.client = options.client;
    this.source = options.source;
    this.trans = options.trans ?? nullTranslator.load('jupyterlab_trackside');
    const dir = PathExt.dirname(options.path);
    this.projectPath = dir === '' ? '.' : dir;
    this._defaultName = PathExt.basename(dir) || 'project';
    this._prepare = options.prepare ?? (() => Promise.resolve());
    this.executions =
      options.executions ??
      new ExecutionsModel({
        client: this.client,
        path: this.projectPath,
        isVisible: options.isVisible
      });
    this.source.contentChanged.connect(this._onContentChanged, this);
    this._parsed = this._parse();
    void this._loadServerSpec();
    if (options.listExperiments) {
      void this._loadExperiments(options.listExperiments);
    }
  }

  readonly client: IProjectsClient;
  readonly source: ProjectModel.ITextSource;
  readonly trans: TranslationBundle;

  /**
   * The project directory, relative to the Jupyter root (`.` for the root).
   */
  readonly projectPath: string;

  /**
   * This project's executions and the selected one's output.
   */
  readonly executions: ExecutionsModel;

  /**
   * Emitted when anything the form shows changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The spec read from the text, or its first error.
   */
  get parsed(): MLprojectResult {
    return this._parsed;
  }

  /**
   * The environment managers the server has (`null` until it answered).
   */
  get envManagers(): Readonly<Record<string, boolean>> | null {
    return this._envManagers;
  }

  /**
   * Why the server could not be asked (no permission, unreachable…);
   * `null` otherwise. A refused MLproject is not one: the text's own
   * error shows it.
   */
  get serverError(): string | null {
    return this._serverError;
  }

  /**
   * The names of existing experiments (suggestions), empty until loaded.
   */
  get experimentNames(): ReadonlyArray<string> {
    return this._experimentNames;
  }

  /**
   * The entry point of the form (the first one until another is picked).
   */
  get entryPoint(): IProjectEntryPoint | null {
    if (!this._parsed.ok) {
      return null;
    }
    const points = this._parsed.spec.entry_points;
    return points.find(p => p.name === this._entryName) ?? points[0] ?? null;
  }

  /**
   * The form's values of the current entry point (defaults until edited).
   */
  get values(): Readonly<Record<string, string>> {
    const entry = this.entryPoint;
    if (!entry) {
      return {};
    }
    const edited = this._edited.get(entry.name) ?? {};
    const values: Record<string, string> = {};
    for (const parameter of entry.parameters) {
      values[parameter.name] =
        edited[parameter.name] ?? parameter.default ?? '';
    }
    return values;
  }

  /**
   * What is wrong with each value of the form, by parameter name.
   */
  get errors(): Readonly<Record<string, string>> {
    const entry = this.entryPoint;
    return entry
      ? checkParameters(entry.parameters, this.values, this.trans)
      : {};
  }

  /**
   * The experiment to log to: the project's name until edited.
   */
  get experimentName(): string {
    if (this._experimentName !== null) {
      return this._experimentName;
    }
    return this._parsed.ok ? this._parsed.spec.name : '';
  }

  get envManager(): string {
    return this._envManager;
  }

  /**
   * Whether an environment manager can be picked: `local` always, the
   * others once the server says they are installed.
   */
  isEnvManagerAvailable(name: string): boolean {
    return name === 'local' || this._envManagers?.[name] === true;
  }

  /**
   * The environment managers to offer, `local` first.
   */
  get envManagerNames(): ReadonlyArray<string> {
    const extra = Object.keys(this._envManagers ?? {}).filter(
      name => !ENV_MANAGERS.includes(name)
    );
    return [...ENV_MANAGERS, ...extra];
  }

  /**
   * The command that Run executes, as the server displays it.
   */
  get command(): string {
    const entry = this.entryPoint;
    if (!entry) {
      return '';
    }
    return displayCommand({
      entryPoint: entry.name,
      parameters: entry.parameters,
      values: this.values,
      envManager: this._envManager,
      experimentName: this.experimentName
    });
  }

  /**
   * Whether Run can start: a valid spec and form, and no start in flight.
   */
  get canRun(): boolean {
    return (
      this.entryPoint !== null &&
      Object.keys(this.errors).length === 0 &&
      !this._starting
    );
  }

  get isStarting(): boolean {
    return this._starting;
  }

  /**
   * Why the last start failed (the server's message); `null` otherwise.
   */
  get runError(): string | null {
    return this._runError;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  selectEntryPoint(name: string): void {
    this._update(() => (this._entryName = name));
  }

  setValue(parameter: string, value: string): void {
    const entry = this.entryPoint;
    if (!entry) {
      return;
    }
    this._update(() => {
      const edited = this._edited.get(entry.name) ?? {};
      this._edited.set(entry.name, { ...edited, [parameter]: value });
    });
  }

  setExperimentName(name: string): void {
    this._update(() => (this._experimentName = name));
  }

  setEnvManager(name: string): void {
    if (this.isEnvManagerAvailable(name)) {
      this._update(() => (this._envManager = name));
    }
  }

  /**
   * Start the current entry point with the form's values; the new
   * execution is selected.
   */
  async run(): Promise<void> {
    const entry = this.entryPoint;
    if (!entry || !this.canRun) {
      return;
    }
    const options: IStartExecutionOptions = {
      path: this.projectPath,
      entry_point: entry.name,
      parameters: { ...this.values },
      env_manager: this._envManager
    };
    if (this.experimentName) {
      options.experiment_name = this.experimentName;
    }
    this._update(() => {
      this._starting = true;
      this._runError = null;
    });
    try {
      await this._prepare();
      const execution = await this.client.start(options);
      if (this._isDisposed) {
        return;
      }
      this.executions.add(execution);
    } catch (reason) {
      if (this._isDisposed) {
        return;
      }
      this._runError = errorMessage(reason);
    }
    this._update(() => (this._starting = false));
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.source.contentChanged.disconnect(this._onContentChanged, this);
    this.executions.dispose();
    Signal.clearData(this);
  }

  private _onContentChanged(): void {
    this._update(() => (this._parsed = this._parse()));
  }

  private _parse(): MLprojectResult {
    return parseMLproject(
      this.source.toString(),
      this._defaultName,
      this.trans
    );
  }

  private async _loadServerSpec(): Promise<void> {
    try {
      const answer = await this.client.spec(this.projectPath);
      if (this._isDisposed) {
        return;
      }
      this._envManagers = answer.env_managers;
      this._serverError = null;
    } catch (reason) {
      if (this._isDisposed) {
        return;
      }
      // A refused MLproject (400) shows as the text's own error.
      const refused =
        reason instanceof TracksideRequestError && reason.status === 400;
      this._serverError = refused ? null : errorMessage(reason);
    }
    this._update(() => undefined);
  }

  private async _loadExperiments(
    list: () => Promise<ReadonlyArray<string>>
  ): Promise<void> {
    try {
      const names = await list();
      if (!this._isDisposed) {
        this._update(() => (this._experimentNames = [...names]));
      }
    } catch {
      // Suggestions only: the field takes any name.
    }
  }

  private _update(change: () => unknown): void {
    if (this._isDisposed) {
      return;
    }
    change();
    this._changed.emit(undefined);
  }

  private _defaultName: string;
  private _prepare: () => Promise<void>;
  private _parsed: MLprojectResult;
  private _envManagers: Readonly<Record<string, boolean>> | null = null;
  private _serverError: string | null = null;
  private _experimentNames: string[] = [];
  private _entryName: string | null = null;
  private _edited = new Map<string, Record<string, string>>();
  private _experimentName: string | null = null;
  private _envManager = 'local';
  private _starting = false;
  private _runError: string | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * A namespace for `ProjectModel` statics.
 */
export namespace ProjectModel {
  /**
   * The document's text: the same model the text editor edits.
   */
  export interface ITextSource {
    toString(): string;
    readonly contentChanged: ISignal<unknown, void>;
  }

  /**
   * The options to create the model.
   */
  export interface IOptions {
    client: IProjectsClient;
    source: ITextSource;
    /**
     * The MLproject file's path, relative to the Jupyter root.
     */
    path: string;
    trans?: TranslationBundle;
    /**
     * Whether the view is visible (polls stand by otherwise).
     */
    isVisible?: () => boolean;
    /**
     * Called before a run starts (the view saves the document: the server
     * runs the file on disk).
     */
    prepare?: () => Promise<void>;
    /**
     * The existing experiments' names, suggested for the experiment field.
     */
    listExperiments?: () => Promise<ReadonlyArray<string>>;
    /**
     * The executions model (tests give one with their own intervals).
     */
    executions?: ExecutionsModel;
  }
}
