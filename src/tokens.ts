import { ServerConnection } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';

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
