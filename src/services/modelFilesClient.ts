import { ServerConnection } from '@jupyterlab/services';
import {
  FileOwner,
  FileResult,
  IFileInfo,
  IFileRef,
  IFileTable,
  ILoggedModel,
  IModelFilesService
} from '../tokens';
import { ModelFilesNormalize } from './modelFilesNormalize';
import { Normalize } from './normalize';
import {
  apiUrl,
  parseJsonAnswer,
  requestJson,
  responseError,
  sendRequest
} from './request';

/**
 * The REST client of logged models and model/run files
 * (`/trackside/api/mlflow/logged-models/*` and `/trackside/api/artifacts/*`).
 */
export class ModelFilesClient implements IModelFilesService {
  /**
   * Create a client.
   */
  constructor(options: ModelFilesClient.IOptions) {
    this.serverSettings = options.serverSettings;
  }

  readonly serverSettings: ServerConnection.ISettings;

  /**
   * The logged models a run produced, following pages.
   */
  async searchRunLoggedModels(
    experimentId: string,
    runId: string
  ): Promise<ILoggedModel[]> {
    const models: ILoggedModel[] = [];
    const seen = new Set<string>();
    let pageToken: string | null = null;
    do {
      const body: Record<string, unknown> = {
        experiment_ids: [experimentId],
        filter: `source_run_id = '${runId.replace(/'/g, "\\'")}'`,
        max_results: Private.PAGE_SIZE
      };
      if (pageToken) {
        seen.add(pageToken);
        body.page_token = pageToken;
      }
      const answer = await requestJson(
        this.serverSettings,
        'POST',
        ['mlflow', 'logged-models', 'search'],
        { body }
      );
      models.push(
        ...Normalize.array(answer.models).map(ModelFilesNormalize.loggedModel)
      );
      pageToken = Normalize.pageToken(answer);
    } while (pageToken && !seen.has(pageToken));
    return models;
  }

  /**
   * One logged model by id.
   */
  async getLoggedModel(modelId: string): Promise<ILoggedModel> {
    const answer = await this._get(['mlflow', 'logged-models', 'get'], {
      model_id: modelId
    });
    return ModelFilesNormalize.loggedModel(answer.model);
  }

  /**
   * The files directly below `path` of a run or a logged model.
   */
  async listFiles(owner: FileOwner, path = ''): Promise<IFileInfo[]> {
    const query: Record<string, string> = path ? { path } : {};
    if (owner.modelId !== undefined) {
      const answer = await this._get(['artifacts', 'model-list'], {
        model_id: owner.modelId,
        ...query
      });
      return ModelFilesNormalize.files(answer);
    }
    const answer = await this._get(['mlflow', 'artifacts', 'list'], {
      run_id: owner.runId,
      ...query
    });
    return ModelFilesNormalize.files(answer);
  }

  /**
   * A file as UTF-8 text.
   */
  fetchText(file: IFileRef): Promise<FileResult<string>> {
    return this._file(['artifacts', 'file'], file, {}, r => r.text());
  }

  /**
   * A file as a blob.
   */
  fetchBlob(file: IFileRef): Promise<FileResult<Blob>> {
    return this._file(['artifacts', 'file'], file, {}, r => r.blob());
  }

  /**
   * The first rows of a table file.
   */
  fetchTable(
    file: IFileRef,
    limit = ModelFilesClient.TABLE_ROWS
  ): Promise<FileResult<IFileTable>> {
    return this._file(
      ['artifacts', 'table'],
      file,
      { limit: String(limit) },
      async (response, url) =>
        ModelFilesNormalize.table(
          parseJsonAnswer(await response.text(), response, url)
        )
    );
  }

  /**
   * The URL that downloads a file as an attachment.
   */
  downloadUrl(file: IFileRef): string {
    return apiUrl(this.serverSettings, ['artifacts', 'file'], {
      ...Private.fileQuery(file),
      download: '1'
    });
  }

  /**
   * Fetch a file endpoint; a 413 answer becomes `tooLarge`.
   */
  private async _file<T>(
    segments: string[],
    file: IFileRef,
    extra: Record<string, string>,
    read: (response: Response, url: string) => Promise<T>
  ): Promise<FileResult<T>> {
    const url = apiUrl(this.serverSettings, segments, {
      ...Private.fileQuery(file),
      ...extra
    });
    const response = await sendRequest(
      url,
      { method: 'GET' },
      this.serverSettings
    );
    const size = Normalize.finiteOrNull(
      response.headers.get('X-Trackside-File-Size')
    );
    if (response.status === 413) {
      const error = responseError(response, await response.text(), url);
      return { kind: 'tooLarge', size, message: error.message };
    }
    if (!response.ok) {
      throw responseError(response, await response.text(), url);
    }
    return { kind: 'ok', value: await read(response, url), size };
  }

  /**
   * A GET request with a query and a JSON answer.
   */
  private _get(
    segments: string[],
    query: Record<string, string>
  ): Promise<Record<string, unknown>> {
    return requestJson(this.serverSettings, 'GET', segments, { query });
  }
}

/**
 * A namespace for `ModelFilesClient` statics.
 */
export namespace ModelFilesClient {
  export interface IOptions {
    serverSettings: ServerConnection.ISettings;
  }

  /**
   * How many rows of a table file a preview shows.
   */
  export const TABLE_ROWS = 50;
}

namespace Private {
  export const PAGE_SIZE = 100;

  export function fileQuery(file: IFileRef): Record<string, string> {
    return file.modelId !== undefined
      ? { model_id: file.modelId, path: file.path }
      : { run_id: file.runId, path: file.path };
  }
}
