import { ServerConnection } from '@jupyterlab/services';
import {
  IModelVersion,
  IRegisteredModel,
  IRegistryService,
  IRunTag
} from '../tokens';
import { Normalize } from './normalize';
import { NormalizeRegistry } from './normalizeRegistry';
import { compact, Query, requestJson, TracksideRequestError } from './request';

/**
 * The Model Registry client: reads go through the gateway's `mlflow/<op>`
 * operations, writes through the allow-listed `registry/<op>` ones (each
 * with its own method; DELETE carries a JSON body like MLflow's API).
 */
export class RegistryClient implements IRegistryService {
  /**
   * Create a client.
   */
  constructor(options: RegistryClient.IOptions) {
    this.serverSettings = options.serverSettings;
  }

  /**
   * The server settings; read at every request, never cached.
   */
  readonly serverSettings: ServerConnection.ISettings;

  async searchRegisteredModels(
    options: IRegistryService.ISearchOptions = {}
  ): Promise<IRegistryService.IRegisteredModelsPage> {
    const answer = await this._read(
      ['registered-models', 'search'],
      Private.searchQuery(options)
    );
    return {
      registeredModels: Normalize.array(answer.registered_models).map(
        NormalizeRegistry.registeredModel
      ),
      nextPageToken: Normalize.pageToken(answer)
    };
  }

  async getRegisteredModel(name: string): Promise<IRegisteredModel> {
    const answer = await this._read(['registered-models', 'get'], { name });
    return NormalizeRegistry.registeredModel(answer.registered_model);
  }

  async searchModelVersions(
    options: IRegistryService.ISearchVersionsOptions = {}
  ): Promise<IRegistryService.IModelVersionsPage> {
    const clauses: string[] = [];
    if (options.name !== undefined) {
      clauses.push(`name = ${RegistryClient.quote(options.name)}`);
    }
    if (options.runId !== undefined) {
      clauses.push(`run_id = ${RegistryClient.quote(options.runId)}`);
    }
    if (options.filter) {
      clauses.push(options.filter);
    }
    const answer = await this._read(
      ['model-versions', 'search'],
      Private.searchQuery({
        ...options,
        filter: clauses.length ? clauses.join(' AND ') : undefined
      })
    );
    return {
      modelVersions: Normalize.array(answer.model_versions).map(
        NormalizeRegistry.modelVersion
      ),
      nextPageToken: Normalize.pageToken(answer)
    };
  }

  async getModelVersion(name: string, version: string): Promise<IModelVersion> {
    const answer = await this._read(['model-versions', 'get'], {
      name,
      version
    });
    return NormalizeRegistry.modelVersion(answer.model_version);
  }

  async getModelVersionByAlias(
    name: string,
    alias: string
  ): Promise<IModelVersion> {
    const answer = await this._read(['registered-models', 'alias'], {
      name,
      alias
    });
    return NormalizeRegistry.modelVersion(answer.model_version);
  }

  async createRegisteredModel(
    options: IRegistryService.ICreateRegisteredModelOptions
  ): Promise<IRegisteredModel> {
    const answer = await this._write('POST', 'registered-models/create', {
      name: options.name,
      description: options.description,
      tags: Private.tags(options.tags)
    });
    return NormalizeRegistry.registeredModel(answer.registered_model);
  }

  async updateRegisteredModel(
    name: string,
    description: string
  ): Promise<IRegisteredModel> {
    const answer = await this._write('PATCH', 'registered-models/update', {
      name,
      description
    });
    return NormalizeRegistry.registeredModel(answer.registered_model);
  }

  async setRegisteredModelTag(
    name: string,
    key: string,
    value: string
  ): Promise<void> {
    await this._write('POST', 'registered-models/set-tag', {
      name,
      key,
      value
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this._write('DELETE', 'registered-models/delete-tag', { name, key });
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this._write('POST', 'registered-models/alias', {
      name,
      alias,
      version
    });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this._write('DELETE', 'registered-models/alias', { name, alias });
  }

  async createModelVersion(
    options: IRegistryService.ICreateModelVersionOptions
  ): Promise<IModelVersion> {
    const answer = await this._write('POST', 'model-versions/create', {
      name: options.name,
      source: options.source,
      run_id: options.runId,
      model_id: options.modelId,
      description: options.description,
      tags: Private.tags(options.tags)
    });
    return NormalizeRegistry.modelVersion(answer.model_version);
  }

  async updateModelVersion(
    name: string,
    version: string,
    description: string
  ): Promise<IModelVersion> {
    const answer = await this._write('PATCH', 'model-versions/update', {
      name,
      version,
      description
    });
    return NormalizeRegistry.modelVersion(answer.model_version);
  }

  async setModelVersionTag(
    name: string,
    version: string,
    key: string,
    value: string
  ): Promise<void> {
    await this._write('POST', 'model-versions/set-tag', {
      name,
      version,
      key,
      value
    });
  }

  async deleteModelVersionTag(
    name: string,
    version: string,
    key: string
  ): Promise<void> {
    await this._write('DELETE', 'model-versions/delete-tag', {
      name,
      version,
      key
    });
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    await this._write('DELETE', 'model-versions/delete', { name, version });
  }

  /**
   * A gateway read: GET `mlflow/<segments>` with a query.
   */
  private _read(
    segments: string[],
    query: Query
  ): Promise<Record<string, unknown>> {
    return requestJson(this.serverSettings, 'GET', ['mlflow', ...segments], {
      query
    });
  }

  /**
   * A registry write: `registry/<operation>` with a JSON body.
   */
  private _write(
    method: 'POST' | 'PATCH' | 'DELETE',
    operation: string,
    body: Record<string, unknown>
  ): Promise<Record<string, unknown>> {
    return requestJson(
      this.serverSettings,
      method,
      ['registry', ...operation.split('/')],
      { body: compact(body) }
    );
  }
}

/**
 * A namespace for `RegistryClient` statics.
 */
export namespace RegistryClient {
  /**
   * The options to create a client.
   */
  export interface IOptions {
    /**
     * The Jupyter server settings (base URL, token, fetch).
     */
    serverSettings: ServerConnection.ISettings;
  }

  /**
   * The default page size of a search; MLflow's registry allows up to
   * 1000 registered models and 10000 versions a page.
   */
  export const DEFAULT_MAX_RESULTS = 100;

  /**
   * Quote a value for a MLflow search filter. MLflow's filter parser has no
   * escape sequence: it strips one pair of single or double quotes, so a
   * value is quoted with the kind it does not contain.
   *
   * @throws when the value contains both kinds of quotes (it cannot be
   * written in a filter).
   */
  export function quote(value: string): string {
    if (!value.includes("'")) {
      return `'${value}'`;
    }
    if (!value.includes('"')) {
      return `"${value}"`;
    }
    throw new TracksideRequestError({
      status: 400,
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: `A MLflow search filter cannot contain both kinds of quotes: ${value}`
    });
  }
}

namespace Private {
  /**
   * The query of a registry search.
   */
  export function searchQuery(options: IRegistryService.ISearchOptions): Query {
    const query: [string, string][] = [
      [
        'max_results',
        String(options.maxResults ?? RegistryClient.DEFAULT_MAX_RESULTS)
      ]
    ];
    if (options.filter) {
      query.push(['filter', options.filter]);
    }
    for (const clause of options.orderBy ?? []) {
      query.push(['order_by', clause]);
    }
    if (options.pageToken) {
      query.push(['page_token', options.pageToken]);
    }
    return query;
  }

  /**
   * MLflow's `{key, value}` tags of a request body.
   */
  export function tags(
    tags: ReadonlyArray<IRunTag> | undefined
  ): { key: string; value: string }[] | undefined {
    return tags?.map(({ key, value }) => ({ key, value }));
  }
}
