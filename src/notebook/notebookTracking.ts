import { ISessionContext } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
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
 * its kernel at start, after restarts and after kernel changes. A renamed
 * notebook tells its kernel the new path, which later runs record.
 */
export class NotebookTracking implements IDisposable {
  constructor(options: NotebookTracking.IOptions) {
    this.panel = options.panel;
    this._settings = options.settings;
    const context = this.panel.sessionContext;
    context.kernelChanged.connect(this._onKernelChanged, this);
    context.statusChanged.connect(this._onStatusChanged, this);
    context.propertyChanged.connect(this._onPropertyChanged, this);
    context.iopubMessage.connect(this._onIOPub, this);
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
    window.clearTimeout(this._applyTimer);
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
      // listened to a new kernel: try again once the kernel settles.
      if (this._retries < NotebookTracking.MAX_RETRIES) {
        this._retries += 1;
        this._pendingApply = true;
        this._armSettleTimer();
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
    _: ISessionContext,
    change: { newValue: Kernel.IKernelConnection | null }
  ): void {
    this._kernelSessions.clear();
    this._retries = 0;
    if (this._isReady && change.newValue) {
      this._pendingApply = true;
    }
  }

  /**
   * Notice a new kernel process by the session id its messages carry: the
   * restart statuses are not always seen (the new kernel's 'starting' can
   * go out before the server listens to it), its messages always are.
   * Every id seen is remembered, so that messages the Jupyter server makes
   * itself (with its own session id) do not count as a new process each time.
   */
  private _onIOPub(_: ISessionContext, msg: KernelMessage.IMessage): void {
    const session = msg.header.session;
    if (!session || this._kernelSessions.has(session)) {
      return;
    }
    const restarted = this._kernelSessions.size > 0;
    this._kernelSessions.add(session);
    if (restarted && this._isReady) {
      this._retries = 0;
      this._pendingApply = true;
      this._armSettleTimer();
    }
  }

  private _onStatusChanged(_: ISessionContext, status: Kernel.Status): void {
    if (!this._isReady) {
      return;
    }
    // A kernel process announces 'starting' when it starts, whoever
    // restarted it (this page, another client or the REST API).
    if (
      status === 'restarting' ||
      status === 'autorestarting' ||
      status === 'starting'
    ) {
      this._retries = 0;
      this._pendingApply = true;
      // After a restart by another client or the REST API, the page only
      // reconnects: the kernel's 'idle' may come before the new websocket
      // (or only as the reply status of an untracked kernel_info request,
      // which the connection ignores), so do not wait for it forever. The
      // request is queued by the connection until it is connected again.
      this._armSettleTimer();
    } else if (status === 'idle') {
      this._applyPending();
    }
  }

  private _armSettleTimer(): void {
    window.clearTimeout(this._applyTimer);
    this._applyTimer = window.setTimeout(
      () => this._applyPending(),
      NotebookTracking.RESTART_SETTLE_MS
    );
  }

  /**
   * Load Trackside in a new or restarted kernel, once.
   */
  private _applyPending(): void {
    window.clearTimeout(this._applyTimer);
    if (!this._pendingApply || this.isDisposed) {
      return;
    }
    this._pendingApply = false;
    void this._apply(NotebookTracking.LOST_AFTER_MS);
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
  private _isDisposed = false;
  private _isReady = false;
  private _pendingApply = false;
  private _retries = 0;
  private _kernelSessions = new Set<string>();
  private _applyTimer = 0;
  private _stateChanged = new Signal<this, void>(this);
  private _failed = new Signal<this, string>(this);
}

/**
 * A namespace for `NotebookTracking` statics.
 */
export namespace NotebookTracking {
  /**
   * How long after the last restart status Trackside is loaded again when
   * no 'idle' status came first (ms).
   */
  export const RESTART_SETTLE_MS = 1000;

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
