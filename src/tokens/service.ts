import { ServerConnection } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';
import {
  IArtifactList,
  IBackendStatus,
  IExperiment,
  IMetric,
  IRun
} from './mlflow';

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
