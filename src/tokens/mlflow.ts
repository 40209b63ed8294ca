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
  /**
   * What the Jupyter server's authorizer allows the current user; `null`
   * when the server does not say (then reads only: no writes, no serving).
   */
  readonly capabilities: IBackendCapabilities | null;
}

/**
 * The Trackside actions the current user may take beyond reading.
 */
export interface IBackendCapabilities {
  /**
   * Registry writes: register, alias, tag, describe, delete a version.
   */
  readonly registry_write: boolean;
  /**
   * Serving models locally and calling them.
   */
  readonly serving: boolean;
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
