import { IDisposable } from '@lumino/disposable';
import { JSONExt, ReadonlyJSONValue } from '@lumino/coreutils';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { TracksideRequestError } from '../services/client';
import { errorMessage } from '../services/errorMessage';
import { IBackendStatus, ITracksideService } from '../tokens';

/**
 * The connection and navigation state of the Trackside panel: the backend
 * status, the error of the last request, whether the panel is visible, and
 * which view it shows.
 *
 * It polls nothing itself: the feature models (`panels/*`) fetch through the
 * service, follow `isActive` to stand by while the panel is hidden, and
 * report the backend's status and their failures here, so that one status
 * header and one error state describe the connection.
 */
export class TracksideModel implements IDisposable {
  /**
   * Create a model.
   */
  constructor(options: TracksideModel.IOptions) {
    this._service = options.service;
    this._isActive = options.isActive ?? false;
  }

  /**
   * Emitted when the backend status changes.
   */
  get statusChanged(): ISignal<this, IBackendStatus | null> {
    return this._statusChanged;
  }

  /**
   * Emitted when the error state changes.
   */
  get errorChanged(): ISignal<this, TracksideModel.IError | null> {
    return this._errorChanged;
  }

  /**
   * Emitted when the panel becomes visible or hidden.
   */
  get activeChanged(): ISignal<this, boolean> {
    return this._activeChanged;
  }

  /**
   * Emitted when the panel's view changes.
   */
  get viewChanged(): ISignal<this, TracksideModel.View> {
    return this._viewChanged;
  }

  /**
   * Emitted with an experiment id when a view asks to open that experiment
   * in the main area (the experiment view's command answers it).
   */
  get experimentRequested(): ISignal<this, string> {
    return this._experimentRequested;
  }

  /**
   * The Trackside service the feature models read from.
   */
  get service(): ITracksideService {
    return this._service;
  }

  /**
   * The last backend status; `null` before the first answer.
   */
  get status(): IBackendStatus | null {
    return this._status;
  }

  /**
   * The current error, `null` when the last refresh succeeded.
   */
  get error(): TracksideModel.IError | null {
    return this._error;
  }

  /**
   * Whether the panel is in use (visible). Feature models stand by while it
   * is not.
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
  }

  /**
   * What the panel shows: the experiments, one run, a comparison, the
   * registered models, one of them, a model, or the served models.
   */
  get view(): TracksideModel.View {
    return this._view;
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Ask the backend for its status and record it.
   *
   * Resolves `true` when the backend is healthy, `false` while it starts or
   * restarts (a transient state shown by the status header, not an error)
   * or when `isCurrent` says the answer is stale. Rejects when the backend
   * cannot be reached or has failed.
   */
  async updateStatus(isCurrent: () => boolean = () => true): Promise<boolean> {
    const status = await this._service.status();
    if (this.isDisposed || !isCurrent()) {
      return false;
    }
    this._setStatus(status);
    if (status.healthy) {
      return true;
    }
    if (status.state === 'starting' || status.state === 'restarting') {
      this.setError(null);
      return false;
    }
    throw new TracksideRequestError({
      status: 503,
      errorCode: 'TRACKSIDE_BACKEND_UNHEALTHY',
      message: status.message ?? status.state
    });
  }

  /**
   * Record the outcome of the last refresh: `null` when it succeeded.
   */
  setError(error: TracksideModel.IError | null): void {
    if (this.isDisposed || Private.same(error, this._error)) {
      return;
    }
    this._error = error;
    this._errorChanged.emit(error);
  }

  /**
   * Show one run in detail.
   */
  showRun(experimentId: string, runId: string): void {
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
   * The registered models of the Model Registry.
   */
  showModels(): void {
    this._setView({ kind: 'models' });
  }

  /**
   * One registered model and its versions.
   */
  showRegisteredModel(name: string): void {
    this._setView({ kind: 'registeredModel', name });
  }

  /**
   * One version of a registered model.
   */
  showModelVersion(name: string, version: string): void {
    this._setView({ kind: 'modelVersion', name, version });
  }

  /**
   * A MLflow 3 logged model, with the run that logged it when known.
   */
  showLoggedModel(modelId: string, runId?: string): void {
    this._setView(
      runId === undefined
        ? { kind: 'loggedModel', modelId }
        : { kind: 'loggedModel', modelId, runId }
    );
  }

  /**
   * An old-style model saved under a run's artifacts at `path`.
   */
  showRunArtifactModel(runId: string, path: string): void {
    this._setView({ kind: 'runArtifactModel', runId, path });
  }

  /**
   * The locally served models, with one of them selected when given.
   */
  showServing(servedId?: string): void {
    this._setView(
      servedId === undefined
        ? { kind: 'serving' }
        : { kind: 'serving', servedId }
    );
  }

  /**
   * Ask for an experiment to open in the main area, full width.
   */
  openExperiment(experimentId: string): void {
    if (!this.isDisposed) {
      this._experimentRequested.emit(experimentId);
    }
  }

  /**
   * Reveal a run (for example the one a notebook asked to open).
   */
  revealRun(experimentId: string, runId: string): void {
    this.showRun(experimentId, runId);
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

  private _setStatus(status: IBackendStatus): void {
    if (Private.same(status, this._status)) {
      return;
    }
    this._status = status;
    this._statusChanged.emit(status);
  }

  private _setView(view: TracksideModel.View): void {
    if (this.isDisposed || Private.same(view, this._view)) {
      return;
    }
    this._view = view;
    this._viewChanged.emit(view);
  }

  private _service: ITracksideService;
  private _isActive: boolean;
  private _isDisposed = false;
  private _status: IBackendStatus | null = null;
  private _error: TracksideModel.IError | null = null;
  private _view: TracksideModel.View = { kind: 'list' };
  private _statusChanged = new Signal<this, IBackendStatus | null>(this);
  private _errorChanged = new Signal<this, TracksideModel.IError | null>(this);
  private _activeChanged = new Signal<this, boolean>(this);
  private _viewChanged = new Signal<this, TracksideModel.View>(this);
  private _experimentRequested = new Signal<this, string>(this);
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
     * Whether the panel starts visible; default `false` (no request until
     * activated).
     */
    isActive?: boolean;
  }

  /**
   * The error state of the panel.
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
    | { readonly kind: 'compare'; readonly runIds: ReadonlyArray<string> }
    | { readonly kind: 'models' }
    | { readonly kind: 'registeredModel'; readonly name: string }
    | {
        readonly kind: 'modelVersion';
        readonly name: string;
        readonly version: string;
      }
    | {
        readonly kind: 'loggedModel';
        readonly modelId: string;
        readonly runId?: string;
      }
    | {
        readonly kind: 'runArtifactModel';
        readonly runId: string;
        readonly path: string;
      }
    | { readonly kind: 'serving'; readonly servedId?: string };

  /**
   * The section of the panel a view belongs to: the runs (experiments, a
   * run, a comparison) or the models (registry, model views, serving).
   */
  export type Section = 'runs' | 'models';

  /**
   * The section of the panel `view` belongs to.
   */
  export function sectionOf(view: View): Section {
    switch (view.kind) {
      case 'list':
      case 'run':
      case 'compare':
        return 'runs';
      default:
        return 'models';
    }
  }

  /**
   * The poll frequency of a backend refresh every `interval` ms (the
   * "refresh interval" setting; `null` or 0: on demand only), backing off
   * up to a minute while the backend is down.
   */
  export function refreshFrequency(interval: number | null): IPoll.Frequency {
    if (interval === null || !(interval > 0)) {
      return { backoff: true, interval: Poll.NEVER, max: Poll.NEVER };
    }
    const bounded = Math.min(Math.round(interval), Poll.MAX_INTERVAL);
    return {
      backoff: true,
      interval: bounded,
      max: Math.max(bounded, Private.MAX_BACKOFF)
    };
  }

  /**
   * The error state of a failure.
   */
  export function toError(reason: unknown): IError {
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
      message: errorMessage(reason)
    };
  }
}

namespace Private {
  /**
   * The largest delay between two attempts while the backend is down.
   */
  export const MAX_BACKOFF = 60 * 1000;

  /**
   * Whether two JSON-like values (or `null`s) are equal.
   */
  export function same(a: unknown, b: unknown): boolean {
    if (a === null || b === null) {
      return a === b;
    }
    return JSONExt.deepEqual(a as ReadonlyJSONValue, b as ReadonlyJSONValue);
  }
}
