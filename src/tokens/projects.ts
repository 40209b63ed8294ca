import { ServerConnection } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';

/**
 * The projects client token: MLflow Projects run by the Jupyter server
 * (`mlflow run`, supervised) and their output.
 */
export const IProjectsClient = new Token<IProjectsClient>(
  'jupyterlab-trackside:IProjectsClient',
  'Read MLproject specs, run MLflow Projects through the Jupyter server and read their output'
);

/**
 * The parameter types of an MLproject entry point (MLflow's string, float,
 * path and uri, and `int`, which MLflow passes through).
 */
export type ProjectParameterType = 'string' | 'int' | 'float' | 'path' | 'uri';

/**
 * The parameter types, in the order of the contract.
 */
export const PROJECT_PARAMETER_TYPES: ReadonlyArray<ProjectParameterType> = [
  'string',
  'int',
  'float',
  'path',
  'uri'
];

/**
 * A parameter of an entry point.
 */
export interface IProjectParameter {
  readonly name: string;
  readonly type: ProjectParameterType;
  /**
   * The default value as a string; `null` when the parameter is required.
   */
  readonly default: string | null;
}

/**
 * An entry point of an MLproject.
 */
export interface IProjectEntryPoint {
  readonly name: string;
  readonly command: string;
  readonly parameters: ReadonlyArray<IProjectParameter>;
}

/**
 * The kinds of environment an MLproject declares (`none` when it declares
 * none).
 */
export type ProjectEnvironmentKind =
  'python_env' | 'conda_env' | 'docker_env' | 'none';

/**
 * The environment of an MLproject: a file name, a docker image or nothing.
 */
export interface IProjectEnvironment {
  readonly kind: ProjectEnvironmentKind;
  readonly value: string;
}

/**
 * An MLproject, as the server (`ProjectSpec.to_json()`) and the view's own
 * parser read it.
 */
export interface IProjectSpec {
  readonly name: string;
  readonly environment: IProjectEnvironment;
  readonly entry_points: ReadonlyArray<IProjectEntryPoint>;
}

/**
 * The error of an MLproject or of parameter values: MLflow-shaped, with the
 * 1-based line in the MLproject and the field when known.
 */
export interface IProjectError {
  readonly message: string;
  readonly line: number | null;
  readonly field?: string | null;
}

/**
 * The answer of `GET projects/spec`.
 */
export interface IProjectSpecAnswer {
  readonly project: IProjectSpec;
  /**
   * The project directory, relative to the Jupyter root.
   */
  readonly path: string;
  /**
   * Which environment managers are installed (`local` always is).
   */
  readonly env_managers: Readonly<Record<string, boolean>>;
}

/**
 * The states of a project execution.
 */
export type ExecutionState =
  'queued' | 'running' | 'finished' | 'failed' | 'stopped';

/**
 * One `mlflow run` started by the Jupyter server.
 */
export interface IProjectExecution {
  /**
   * 16 hex characters.
   */
  readonly id: string;
  /**
   * The project directory, relative to the Jupyter root.
   */
  readonly path: string;
  readonly project_name: string;
  readonly entry_point: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly experiment_name: string | null;
  readonly env_manager: string;
  /**
   * The command, as displayed (`mlflow run … -P k=v …`).
   */
  readonly command: string;
  readonly state: ExecutionState;
  readonly exit_code: number | null;
  /**
   * The MLflow run it created, once MLflow printed it.
   */
  readonly run_id: string | null;
  /**
   * Times in ms since the epoch.
   */
  readonly created: number | null;
  readonly started: number | null;
  readonly ended: number | null;
  readonly message: string;
}

/**
 * A piece of an execution's output (stdout and stderr interleaved).
 */
export interface IExecutionOutput {
  /**
   * The text after the requested offset.
   */
  readonly output: string;
  /**
   * The offset to ask for next.
   */
  readonly offset: number;
  /**
   * The first offset still kept; above the requested offset, older output
   * was dropped.
   */
  readonly start: number;
  /**
   * Whether the execution has ended (no more output will come).
   */
  readonly done: boolean;
}

/**
 * What to run.
 */
export interface IStartExecutionOptions {
  /**
   * The project directory, relative to the Jupyter root.
   */
  path: string;
  entry_point: string;
  parameters: Record<string, string>;
  experiment_name?: string;
  env_manager?: string;
}

/**
 * The projects endpoints (`/trackside/api/projects`).
 *
 * Every method rejects with a `TracksideRequestError` when the request
 * fails; a refused project or parameter value (400) carries the server's
 * message, which names the MLproject line when it knows it.
 */
export interface IProjectsClient {
  /**
   * The server settings used to reach the Jupyter server.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * The MLproject of a directory and the installed environment managers.
   */
  spec(path: string): Promise<IProjectSpecAnswer>;

  /**
   * Every execution the server knows, newest first.
   */
  executions(): Promise<IProjectExecution[]>;

  /**
   * Start an execution (running, or queued when too many run).
   */
  start(options: IStartExecutionOptions): Promise<IProjectExecution>;

  /**
   * One execution.
   */
  execution(id: string): Promise<IProjectExecution>;

  /**
   * The output of an execution after `offset`; waits up to `wait` seconds
   * for some while there is none and the execution runs.
   */
  output(
    id: string,
    offset: number,
    options?: IProjectsClient.IOutputOptions
  ): Promise<IExecutionOutput>;

  /**
   * Stop an execution (or take it off the queue); resolves with it stopped.
   */
  stop(id: string): Promise<IProjectExecution>;
}

/**
 * A namespace for the projects client types.
 */
export namespace IProjectsClient {
  /**
   * Options of an output read.
   */
  export interface IOutputOptions {
    /**
     * Seconds to wait for output (the server caps it at 25).
     */
    wait?: number;
    /**
     * Aborts the request.
     */
    signal?: AbortSignal;
  }
}
