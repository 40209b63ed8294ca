import { ServerConnection } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';

/**
 * The serving service token: models served locally by the Jupyter server
 * (`mlflow models serve`, supervised) and predictions through it.
 */
export const IServingService = new Token<IServingService>(
  'jupyterlab-trackside:IServingService',
  'Serve registered model versions locally and send predict requests through the Jupyter server'
);

/**
 * The state of a served model: starting (the process runs, its health check
 * has not answered yet), ready, failed (with a message and the log tail) or
 * stopped.
 */
export type ServedState = 'starting' | 'ready' | 'failed' | 'stopped';

/**
 * A model version served locally (`mlflow models serve`).
 */
export interface IServedModel {
  /**
   * The id the server gave it.
   */
  readonly id: string;
  /**
   * The registered model name.
   */
  readonly name: string;
  /**
   * The model version.
   */
  readonly version: string;
  /**
   * The served URI, `models:/NAME/VERSION`.
   */
  readonly model_uri: string;
  readonly state: ServedState;
  /**
   * The local port (informational: the browser never calls it).
   */
  readonly port: number | null;
  readonly pid: number | null;
  /**
   * When it was started (ms since the epoch).
   */
  readonly started_at: number | null;
  /**
   * When it answered its health check (ms since the epoch).
   */
  readonly ready_at: number | null;
  /**
   * Why it failed or stopped; `null` otherwise.
   */
  readonly message: string | null;
  /**
   * The last lines of its output.
   */
  readonly log_tail: string;
}

/**
 * An MLflow-shaped error (`{error_code, message}`).
 */
export interface IServingError {
  readonly error_code: string;
  readonly message: string;
}

/**
 * The answer of a predict request relayed by the Jupyter server.
 */
export interface IPredictResult {
  /**
   * The HTTP status the serving process answered.
   */
  readonly status: number;
  /**
   * The time the serving process took, as measured by the Jupyter server
   * (ms).
   */
  readonly latency_ms: number | null;
  /**
   * Whether the answer holds predictions (they may be any JSON, `null`
   * included).
   */
  readonly has_predictions: boolean;
  /**
   * The predictions; `undefined` when there are none.
   */
  readonly predictions: unknown;
  /**
   * MLflow's error for a rejected payload (schema enforcement…), `null`
   * when none.
   */
  readonly error: IServingError | null;
}

/**
 * Serving: list, start and stop served models, and predict with them.
 *
 * Every method rejects with a `TracksideRequestError` when the request
 * fails (network failure, HTTP error, e.g. 403 without the
 * `trackside:models-serve` permission).
 */
export interface IServingService {
  /**
   * The server settings used to reach the Jupyter server.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * The served models (running, failed and stopped ones).
   */
  list(): Promise<IServedModel[]>;

  /**
   * Start serving a registered model version; resolves once the server has
   * started the process (state `starting`), not when it is ready.
   */
  start(name: string, version: string): Promise<IServedModel>;

  /**
   * Stop a served model; resolves with it stopped.
   */
  stop(id: string): Promise<IServedModel>;

  /**
   * Send an MLflow scoring payload (`{dataframe_split}`,
   * `{dataframe_records}`, `{inputs}` or `{instances}`) to a served model.
   *
   * A payload the model rejects resolves with its `error`; only a failure
   * of the relay itself rejects.
   */
  predict(
    id: string,
    payload: unknown,
    options?: IServingService.IRequestOptions
  ): Promise<IPredictResult>;
}

/**
 * A namespace for the serving service types.
 */
export namespace IServingService {
  /**
   * Options of a request that can be cancelled.
   */
  export interface IRequestOptions {
    /**
     * Aborts the request (e.g. when the form is disposed).
     */
    signal?: AbortSignal;
  }
}
