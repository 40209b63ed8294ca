import { ServerConnection } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';
import { IFileInfo, IRunTag } from './mlflow';

/**
 * The model files service token: MLflow 3 logged models and the files of
 * models and runs (listing, previews, downloads).
 */
export const IModelFilesService = new Token<IModelFilesService>(
  'jupyterlab-trackside:IModelFilesService',
  'Logged models and the files of models and runs'
);

/**
 * The status of a MLflow 3 logged model.
 */
export type LoggedModelStatus =
  | 'LOGGED_MODEL_PENDING'
  | 'LOGGED_MODEL_READY'
  | 'LOGGED_MODEL_UPLOAD_FAILED'
  | 'LOGGED_MODEL_STATUS_UNSPECIFIED';

/**
 * A MLflow 3 logged model (`LoggedModel`). Times are ms since the epoch.
 */
export interface ILoggedModel {
  readonly model_id: string;
  readonly experiment_id: string;
  readonly name: string;
  readonly artifact_uri: string;
  readonly status: LoggedModelStatus | string;
  readonly source_run_id: string | null;
  readonly model_type: string | null;
  readonly creation_timestamp_ms: number | null;
  readonly last_updated_timestamp_ms: number | null;
  readonly tags: ReadonlyArray<IRunTag>;
}

/**
 * Where a file lives: under a run's artifacts or a logged model's files,
 * at a path relative to that root.
 */
export type FileOwner =
  | { readonly runId: string; readonly modelId?: undefined }
  | { readonly modelId: string; readonly runId?: undefined };

/**
 * A file of a run or a logged model.
 */
export type IFileRef = FileOwner & { readonly path: string };

/**
 * The first rows of a CSV, TSV or Parquet file.
 */
export interface IFileTable {
  readonly columns: ReadonlyArray<{
    readonly name: string;
    readonly type: string;
  }>;
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>;
  /**
   * The number of rows of the whole file, `null` when unknown.
   */
  readonly total_rows: number | null;
  readonly truncated: boolean;
}

/**
 * The answer of a file fetch: the content, or "too large to preview" with
 * the file's size when the server knows it.
 */
export type FileResult<T> =
  | { readonly kind: 'ok'; readonly value: T; readonly size: number | null }
  | {
      readonly kind: 'tooLarge';
      readonly size: number | null;
      readonly message: string;
    };

/**
 * Typed access to logged models and to the files of models and runs.
 *
 * Every method rejects with a `TracksideRequestError` when the request
 * fails, except that a file over the server's preview size cap resolves
 * `{kind: 'tooLarge'}`.
 */
export interface IModelFilesService {
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * The logged models a run produced (all pages).
   */
  searchRunLoggedModels(
    experimentId: string,
    runId: string
  ): Promise<ILoggedModel[]>;

  /**
   * One logged model by id.
   */
  getLoggedModel(modelId: string): Promise<ILoggedModel>;

  /**
   * The files of a run or a logged model directly below `path` (the root
   * when empty).
   */
  listFiles(owner: FileOwner, path?: string): Promise<IFileInfo[]>;

  /**
   * A file as text (UTF-8).
   */
  fetchText(file: IFileRef): Promise<FileResult<string>>;

  /**
   * A file as a blob (images).
   */
  fetchBlob(file: IFileRef): Promise<FileResult<Blob>>;

  /**
   * The first `limit` rows of a CSV, TSV or Parquet file.
   */
  fetchTable(file: IFileRef, limit?: number): Promise<FileResult<IFileTable>>;

  /**
   * The URL that downloads a file as an attachment (any size).
   */
  downloadUrl(file: IFileRef): string;
}

/**
 * The commands of the model views, executed by id from the run detail and
 * the model view (registered by the model files plugin).
 */
export namespace ModelCommandIDs {
  /**
   * Insert code as a new cell below the active cell of the current
   * notebook. Args: `{code: string}`.
   */
  export const insertSnippet = 'trackside:insert-model-snippet';

  /**
   * Register a model as a new version of a new or existing registered
   * model (asks for the name). Args: `{source, runId?, modelId?, label?}`;
   * resolves the new `IModelVersion`, or `null` when cancelled.
   */
  export const register = 'trackside:register-model';
}
