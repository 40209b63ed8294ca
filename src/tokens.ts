import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel, ServerConnection } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';
import { IDisposable, IObservableDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

/**
 * The Trackside service token: REST client for `/trackside/api` and the
 * backend status.
 */
export const ITracksideService = new Token<ITracksideService>(
  'jupyterlab-trackside:ITracksideService',
  'Trackside REST client and backend status'
);

/**
 * The Trackside service: typed access to the Trackside server extension.
 *
 * Every method rejects with a `TracksideRequestError` when the request
 * fails (network failure, HTTP error or malformed answer).
 */
export interface ITracksideService {
  /**
   * The server settings used to reach the Jupyter server.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * Get the status of the tracking backend.
   */
  status(): Promise<IBackendStatus>;

  /**
   * Search experiments.
   */
  searchExperiments(
    options?: ITracksideService.ISearchExperimentsOptions
  ): Promise<ITracksideService.IExperimentsPage>;

  /**
   * Get one experiment by id.
   */
  getExperiment(experimentId: string): Promise<IExperiment>;

  /**
   * Search the runs of one or more experiments.
   */
  searchRuns(
    options: ITracksideService.ISearchRunsOptions
  ): Promise<ITracksideService.IRunsPage>;

  /**
   * Get one run by id.
   */
  getRun(runId: string): Promise<IRun>;

  /**
   * Get the full history of one metric of a run (all pages).
   */
  getMetricHistory(runId: string, key: string): Promise<IMetric[]>;

  /**
   * List the artifacts of a run, optionally below a path.
   */
  listArtifacts(runId: string, path?: string): Promise<IArtifactList>;

  /**
   * Get metric histories as an Arrow IPC stream
   * (`application/vnd.apache.arrow.stream`): columns `run_id` and `key`
   * (dictionary-encoded utf8), `step`, `timestamp` (ms) and `value` (float64).
   *
   * The server downsamples to `maxPoints` per series (first/last/min/max per
   * bucket) when given; the answer is exact otherwise.
   */
  getMetricHistoryArrow(
    options: ITracksideService.IMetricHistoryOptions
  ): Promise<ArrayBuffer>;
}

/**
 * A namespace for the Trackside service types.
 */
export namespace ITracksideService {
  /**
   * Options of an experiment search.
   */
  export interface ISearchExperimentsOptions {
    /**
     * Maximum number of experiments; the server default when omitted.
     */
    maxResults?: number;
    /**
     * MLflow order-by clauses, e.g. `last_update_time DESC`.
     */
    orderBy?: string[];
    /**
     * MLflow filter expression.
     */
    filter?: string;
    /**
     * Token of the page to fetch.
     */
    pageToken?: string;
    /**
     * Which lifecycle stages to include.
     */
    viewType?: ViewType;
  }

  /**
   * Options of a run search.
   */
  export interface ISearchRunsOptions {
    /**
     * Experiments to search in.
     */
    experimentIds: string[];
    /**
     * MLflow filter expression.
     */
    filter?: string;
    /**
     * Maximum number of runs; the server default when omitted.
     */
    maxResults?: number;
    /**
     * MLflow order-by clauses, e.g. `attributes.start_time DESC`.
     */
    orderBy?: string[];
    /**
     * Token of the page to fetch.
     */
    pageToken?: string;
  }

  /**
   * A page of experiments.
   */
  export interface IExperimentsPage {
    readonly experiments: IExperiment[];
    readonly nextPageToken: string | null;
  }

  /**
   * A page of runs.
   */
  export interface IRunsPage {
    readonly runs: IRun[];
    readonly nextPageToken: string | null;
  }

  /**
   * MLflow view type of a search.
   */
  export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

  /**
   * Options of an Arrow metric history request.
   */
  export interface IMetricHistoryOptions {
    /**
     * The runs (at least one).
     */
    runIds: string[];
    /**
     * The metric keys (at least one).
     */
    keys: string[];
    /**
     * First step of the range (inclusive).
     */
    startStep?: number;
    /**
     * Last step of the range (inclusive).
     */
    endStep?: number;
    /**
     * Maximum number of points per series; exact when omitted.
     */
    maxPoints?: number;
    /**
     * Aborts the request.
     */
    signal?: AbortSignal;
  }
}

/**
 * How the tracking backend is provided.
 */
export type BackendMode = 'embedded' | 'adopted' | 'external';

/**
 * The lifecycle state of the tracking backend.
 */
export type BackendState =
  'starting' | 'ready' | 'restarting' | 'failed' | 'unreachable';

/**
 * The status of the tracking backend, as reported by the server extension.
 */
export interface IBackendStatus {
  /**
   * The tracking URI (never contains credentials).
   */
  readonly tracking_uri: string;
  readonly mode: BackendMode;
  readonly healthy: boolean;
  readonly mlflow_version: string | null;
  readonly state: BackendState;
  readonly message: string | null;
}

/**
 * A key/value tag (experiment or run tag).
 */
export interface IRunTag {
  readonly key: string;
  readonly value: string;
}

/**
 * A run parameter.
 */
export interface IParam {
  readonly key: string;
  readonly value: string;
}

/**
 * A metric point. In a run search answer, it is the latest point of the key.
 */
export interface IMetric {
  readonly key: string;
  /**
   * The value; `NaN` and infinities are kept.
   */
  readonly value: number;
  /**
   * Milliseconds since the epoch, `null` when unknown.
   */
  readonly timestamp: number | null;
  readonly step: number;
}

/**
 * An MLflow experiment. Times are milliseconds since the epoch.
 */
export interface IExperiment {
  readonly experiment_id: string;
  readonly name: string;
  readonly artifact_location: string;
  readonly lifecycle_stage: string;
  readonly last_update_time: number | null;
  readonly creation_time: number | null;
  readonly tags: ReadonlyArray<IRunTag>;
}

/**
 * The metadata of a run. Times are milliseconds since the epoch.
 */
export interface IRunInfo {
  readonly run_id: string;
  /**
   * The run name; empty when the run has none.
   */
  readonly run_name: string;
  readonly experiment_id: string;
  /**
   * MLflow run status: `RUNNING`, `SCHEDULED`, `FINISHED`, `FAILED` or `KILLED`.
   */
  readonly status: string;
  readonly start_time: number | null;
  readonly end_time: number | null;
  readonly lifecycle_stage: string;
  readonly artifact_uri: string;
  readonly user_id: string;
}

/**
 * The data of a run. Arrays are always present (possibly empty).
 */
export interface IRunData {
  readonly metrics: ReadonlyArray<IMetric>;
  readonly params: ReadonlyArray<IParam>;
  readonly tags: ReadonlyArray<IRunTag>;
}

/**
 * An MLflow run.
 */
export interface IRun {
  readonly info: IRunInfo;
  readonly data: IRunData;
}

/**
 * An artifact entry.
 */
export interface IFileInfo {
  readonly path: string;
  readonly is_dir: boolean;
  readonly file_size: number | null;
}

/**
 * A list of artifacts of a run.
 */
export interface IArtifactList {
  readonly root_uri: string;
  readonly files: ReadonlyArray<IFileInfo>;
  readonly nextPageToken: string | null;
}

/**
 * The series store token: every metric point the frontend knows, per
 * (run, key), fed by the kernel stream and the history endpoint.
 */
export const ISeriesStore = new Token<ISeriesStore>(
  'jupyterlab-trackside:ISeriesStore',
  'The shared metric series store (live kernel stream and history backfill), one series per run and metric key'
);

/**
 * The shared metric series store.
 *
 * Points of a series are kept sorted by (step, timestamp); identical
 * (step, timestamp, value) points are stored once.
 */
export interface ISeriesStore extends IDisposable {
  /**
   * Emitted at most once per animation frame for each series that changed.
   */
  readonly changed: ISignal<ISeriesStore, ISeriesStore.IChangedArgs>;

  /**
   * Whether a series exists.
   */
  has(runId: string, key: string): boolean;

  /**
   * A series, or `undefined`. The object is live: it reflects later changes.
   */
  get(runId: string, key: string): ISeriesStore.ISeries | undefined;

  /**
   * The metric keys of a run.
   */
  keys(runId: string): string[];

  /**
   * The runs that have at least one series.
   */
  runs(): string[];

  /**
   * Add points (any order; duplicates are skipped).
   */
  append(
    runId: string,
    key: string,
    points: ISeriesStore.IPoints,
    options?: ISeriesStore.IAppendOptions
  ): void;

  /**
   * Replace all points of a series (a backfill).
   */
  replace(
    runId: string,
    key: string,
    points: ISeriesStore.IPoints,
    source?: ISeriesStore.Source
  ): void;

  /**
   * Remove a series, or every series of a run when `key` is omitted.
   */
  remove(runId: string, key?: string): void;
}

/**
 * A namespace for the series store types.
 */
export namespace ISeriesStore {
  /**
   * Where the points of a series come from: all exact points, or display
   * points decimated by the kernel (first/last/min/max per bucket).
   */
  export type Source = 'exact' | 'decimated';

  /**
   * Points as parallel columns of equal length.
   */
  export interface IPoints {
    readonly steps: ArrayLike<number>;
    readonly timestamps: ArrayLike<number>;
    readonly values: ArrayLike<number>;
  }

  /**
   * Options of an append.
   */
  export interface IAppendOptions {
    /**
     * Whether the points are decimated display points; marks the series
     * `decimated` until its next exact replace.
     */
    decimated?: boolean;
  }

  /**
   * A series: sorted points of one metric key of one run.
   */
  export interface ISeries {
    readonly runId: string;
    readonly key: string;
    readonly length: number;
    /**
     * Views of the first `length` entries; do not keep them across changes.
     */
    readonly steps: Float64Array;
    readonly timestamps: Float64Array;
    readonly values: Float64Array;
    readonly source: Source;
    /**
     * Incremented at every change.
     */
    readonly version: number;
  }

  /**
   * What changed in a series since the previous emission.
   */
  export interface IChangedArgs {
    readonly runId: string;
    readonly key: string;
    /**
     * The first index that changed; entries before it are unchanged.
     */
    readonly start: number;
    /**
     * The length of the series now (the end of the changed range).
     */
    readonly end: number;
    /**
     * Whether the whole series was replaced or removed.
     */
    readonly reset: boolean;
    /**
     * Whether the series was removed.
     */
    readonly removed: boolean;
  }
}

/**
 * The backfill token: the one scheduler that loads series from the history
 * endpoint into the series store (the live stream's convergence and the
 * charts' first load share it, so a series is never fetched twice at once).
 */
export const IBackfill = new Token<IBackfill>(
  'jupyterlab-trackside:IBackfill',
  'Loads metric series from the Arrow history endpoint into the shared series store, one fetch per series at a time'
);

/**
 * Loads series of the shared store from MLflow's history.
 */
export interface IBackfill {
  /**
   * Ask for the history of a series. Requests made while one is pending are
   * merged: the fetch is exact when any of them asks for the exact history,
   * and immediate when any of them is.
   */
  request(
    runId: string,
    key: string,
    options?: IBackfill.IRequestOptions
  ): void;

  /**
   * Whether a backfill is pending or running for a series.
   */
  isPending(runId: string, key: string): boolean;
}

/**
 * A namespace for the backfill types.
 */
export namespace IBackfill {
  /**
   * Options of a backfill request.
   */
  export interface IRequestOptions {
    /**
     * Fetch at once (a chart that just appeared) rather than once the series
     * has been quiet for a moment (the live stream's convergence).
     */
    immediate?: boolean;
    /**
     * Points per series asked from the server (first/last/min/max per
     * bucket above it); the exact history when omitted.
     */
    maxPoints?: number;
  }
}

/**
 * The kernel lifecycles token: one lifecycle object per session context,
 * shared by every consumer (tracking, the metric stream, the toolbar).
 */
export const IKernelLifecycles = new Token<IKernelLifecycles>(
  'jupyterlab-trackside:IKernelLifecycles',
  'One kernel-lifecycle object per notebook session: first start, restart and kernel switch, detected by one rule set'
);

/**
 * The kernel lifecycle of every session context.
 */
export interface IKernelLifecycles {
  /**
   * The lifecycle of a session context (created on first use, disposed
   * with the context).
   */
  get(sessionContext: ISessionContext): IKernelLifecycle;
}

/**
 * When the kernel process behind a session changes, and when the new one can
 * take requests.
 */
export interface IKernelLifecycle extends IObservableDisposable {
  /**
   * The session's kernel connection, or `null`.
   */
  readonly kernel: Kernel.IKernelConnection | null;

  /**
   * Emitted once per kernel process new to this page, as soon as it is
   * noticed (a restart: possibly before the new process runs); and when the
   * session is left without a kernel.
   */
  readonly kernelChanged: ISignal<IKernelLifecycle, IKernelLifecycle.IChange>;

  /**
   * Emitted once after each `kernelChanged` to a kernel, when the new
   * process can take requests: its first `idle`, or a moment after the last
   * sign of it when no `idle` reaches the page.
   */
  readonly kernelSettled: ISignal<IKernelLifecycle, IKernelLifecycle.IChange>;
}

/**
 * A namespace for the kernel lifecycle types.
 */
export namespace IKernelLifecycle {
  /**
   * Why the kernel process changed:
   * - `start`: the session's first kernel;
   * - `switch`: the session changed to another kernel, or to none;
   * - `restart`: a new process of the same kernel (restarted by this page,
   *   another client, the REST API or the server's auto-restart).
   */
  export type Reason = 'start' | 'switch' | 'restart';

  /**
   * A kernel process change.
   */
  export interface IChange {
    readonly reason: Reason;
    /**
     * The kernel connection; `null` when a switch left the session without
     * a kernel.
     */
    readonly kernel: Kernel.IKernelConnection | null;
  }
}
