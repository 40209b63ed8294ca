import { ISessionContext } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { IKernelLifecycle } from '../tokens';
import { experimentCode, notebookPathCode, trackingCode } from './kernelCode';
import { IKernelAnswer, runSilently } from './kernelRequest';

/**
 * The notebook metadata key of Trackside.
 */
export const METADATA_KEY = 'trackside';

/**
 * What Trackside stores in a notebook's metadata.
 */
export interface ITracksideMetadata {
  /**
   * Whether the notebook is tracked (explicit choice of the user).
   */
  tracked?: boolean;
  /**
   * The active MLflow experiment of the notebook.
   */
  experiment?: string;
}

/**
 * The tracking state of one notebook: remembered in its metadata, applied to
 * its kernel at start, and to every new kernel process (restart, kernel
 * change) once its lifecycle says it settled. A renamed notebook tells its
 * kernel the new path, which later runs record.
 */
export class NotebookTracking implements IDisposable {
  constructor(options: NotebookTracking.IOptions) {
    this.panel = options.panel;
    this._settings = options.settings;
    this._lifecycle = options.lifecycle;
    this._lifecycle.kernelChanged.connect(this._onKernelChanged, this);
    this._lifecycle.kernelSettled.connect(this._onKernelSettled, this);
    const context = this.panel.sessionContext;
    context.propertyChanged.connect(this._onPropertyChanged, this);
    void context.ready.then(() => {
      this._isReady = true;
      return this._apply();
    });
  }

  /**
   * The notebook panel.
   */
  readonly panel: NotebookPanel;

  /**
   * A signal emitted when the tracking state or the experiment changes.
   */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /**
   * A signal emitted when applying the state to the kernel failed.
   */
  get failed(): ISignal<this, string> {
    return this._failed;
  }

  /**
   * Whether the notebook is tracked: its own choice, else the setting.
   */
  get isTracked(): boolean {
    return this._metadata().tracked ?? this._settings().trackByDefault;
  }

  /**
   * The notebook's active experiment, if one was chosen.
   */
  get experiment(): string | null {
    return this._metadata().experiment ?? null;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Turn tracking on or off; remembered in the notebook's metadata.
   */
  async setTracked(tracked: boolean): Promise<void> {
    this._setMetadata({ ...this._metadata(), tracked });
    this._stateChanged.emit();
    await this._run(trackingCode(tracked, this._settings().autolog));
  }

  /**
   * Set the notebook's experiment; remembered in the notebook's metadata.
   */
  async setExperiment(name: string): Promise<void> {
    this._setMetadata({ ...this._metadata(), experiment: name });
    this._stateChanged.emit();
    await this._run(experimentCode(name));
  }

  /**
   * Re-apply the settings (for example after they changed).
   */
  settingsChanged(): void {
    this._stateChanged.emit();
    void this._apply();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    clearTimeout(this._retryTimer);
    this._lifecycle.kernelChanged.disconnect(this._onKernelChanged, this);
    this._lifecycle.kernelSettled.disconnect(this._onKernelSettled, this);
    this.panel.sessionContext.propertyChanged.disconnect(
      this._onPropertyChanged,
      this
    );
    Signal.clearData(this);
  }

  /**
   * Bring the kernel in line with the notebook's state. With `lostAfter`
   * (after a restart, where requests can be lost), a request the idle
   * kernel does not take in that time is sent again.
   */
  private async _apply(lostAfter?: number): Promise<void> {
    if (this.isDisposed || !this.isTracked) {
      return;
    }
    const answer = await this._run(
      trackingCode(true, this._settings().autolog),
      lostAfter
    );
    if (answer && !answer.ok && Private.mayRetry(answer)) {
      // Dropped by a restarting connection, or sent before the server
      // listened to a new kernel: try again in a moment.
      if (this._retries < NotebookTracking.MAX_RETRIES) {
        this._retries += 1;
        clearTimeout(this._retryTimer);
        this._retryTimer = setTimeout(
          () => void this._applyToNewKernel(),
          NotebookTracking.RETRY_AFTER_MS
        );
      } else {
        this._failed.emit(answer.error ?? '');
      }
      return;
    }
    this._retries = 0;
    const experiment = this.experiment;
    if (experiment !== null && !this.isDisposed) {
      await this._run(experimentCode(experiment));
    }
    // The notebook may have been renamed since its kernel started.
    if (!this.isDisposed) {
      await this._run(notebookPathCode(this._notebookPath()));
    }
  }

  /**
   * The notebook's path as the Jupyter server gives it to a new kernel
   * (`JPY_SESSION_NAME`): absolute, under the server root.
   */
  private _notebookPath(): string {
    const path = this.panel.sessionContext.path;
    const root = PageConfig.getOption('serverRoot');
    // Not PathExt.join: it drops the leading '/' of an absolute root.
    return root ? `${root.replace(/[/\\]+$/, '')}/${path}` : path;
  }

  private _onPropertyChanged(
    _: ISessionContext,
    property: 'path' | 'name' | 'type'
  ): void {
    if (property === 'path' && this._isReady && !this.isDisposed) {
      void this._run(notebookPathCode(this._notebookPath()));
    }
  }

  private async _run(
    code: string,
    lostAfter?: number
  ): Promise<IKernelAnswer | null> {
    let answer: IKernelAnswer | null;
    try {
      answer = await runSilently(
        this.panel.sessionContext,
        code,
        undefined,
        lostAfter
      );
    } catch (reason) {
      answer = { ok: false, error: String(reason), data: [] };
    }
    if (!this.isDisposed && answer && !answer.ok && !Private.mayRetry(answer)) {
      this._failed.emit(answer.error ?? '');
    }
    return answer;
  }

  private _onKernelChanged(
    _: IKernelLifecycle,
    change: IKernelLifecycle.IChange
  ): void {
    clearTimeout(this._retryTimer);
    this._retries = 0;
    // The kernel at start is loaded once the context is ready.
    this._pendingApply = this._isReady && change.kernel !== null;
  }

  private _onKernelSettled(): void {
    if (this._pendingApply) {
      this._pendingApply = false;
      void this._applyToNewKernel();
    }
  }

  /**
   * Load Trackside in a new kernel process, where requests can be lost.
   */
  private _applyToNewKernel(): Promise<void> {
    return this._apply(NotebookTracking.LOST_AFTER_MS);
  }

  private _metadata(): ITracksideMetadata {
    const value = this.panel.model?.getMetadata(METADATA_KEY);
    return value && typeof value === 'object'
      ? (value as ITracksideMetadata)
      : {};
  }

  private _setMetadata(value: ITracksideMetadata): void {
    this.panel.model?.setMetadata(METADATA_KEY, { ...value });
  }

  private _settings: () => NotebookTracking.ISettings;
  private _lifecycle: IKernelLifecycle;
  private _isDisposed = false;
  private _isReady = false;
  private _pendingApply = false;
  private _retries = 0;
  private _retryTimer: ReturnType<typeof setTimeout> | undefined;
  private _stateChanged = new Signal<this, void>(this);
  private _failed = new Signal<this, string>(this);
}

/**
 * A namespace for `NotebookTracking` statics.
 */
export namespace NotebookTracking {
  /**
   * How long after a dropped or lost request loading Trackside is tried
   * again (ms).
   */
  export const RETRY_AFTER_MS = 1000;

  /**
   * How long a request to load Trackside may wait untaken by an idle kernel
   * before it is taken for lost and sent again (ms).
   */
  export const LOST_AFTER_MS = 5000;

  /**
   * How many times in a row loading Trackside is tried again after a
   * dropped or lost request before the failure is reported.
   */
  export const MAX_RETRIES = 5;

  /**
   * The settings that apply to every notebook.
   */
  export interface ISettings {
    /**
     * Track notebooks that have no choice of their own.
     */
    trackByDefault: boolean;
    /**
     * Turn on MLflow framework autologging in tracked notebooks.
     */
    autolog: boolean;
  }

  export interface IOptions {
    panel: NotebookPanel;
    /**
     * The kernel lifecycle of the panel's session context.
     */
    lifecycle: IKernelLifecycle;
    /**
     * Read the current settings.
     */
    settings: () => ISettings;
  }
}

namespace Private {
  /**
   * Whether a failed request may succeed when sent again: dropped by a
   * restarting connection, or lost.
   */
  export function mayRetry(answer: IKernelAnswer): boolean {
    return answer.lost === true || /cancel/i.test(answer.error ?? '');
  }
}
