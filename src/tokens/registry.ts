import { Token } from '@lumino/coreutils';
import { IRunTag } from './mlflow';

/**
 * The Model Registry service token: registered models, their versions and
 * aliases, read through the Trackside gateway and written through its
 * allow-listed `registry/<op>` operations.
 */
export const IRegistryService = new Token<IRegistryService>(
  'jupyterlab-trackside:IRegistryService',
  'The MLflow Model Registry: registered models, versions, aliases and tags'
);

/**
 * An alias of a registered model: a name pointing at one version.
 */
export interface IModelAlias {
  readonly alias: string;
  readonly version: string;
}

/**
 * The registration status of a model version.
 */
export type ModelVersionStatus =
  'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

/**
 * A version of a registered model. Times are ms since the epoch, `null`
 * when unknown.
 */
export interface IModelVersion {
  readonly name: string;
  readonly version: string;
  readonly creation_timestamp: number | null;
  readonly last_updated_timestamp: number | null;
  readonly user_id: string;
  /**
   * The legacy stage (`None`, `Staging`, `Production`, `Archived`); shown
   * read-only, aliases replace it.
   */
  readonly current_stage: string;
  readonly description: string;
  /**
   * Where the model files come from, e.g. `models:/m-…` or
   * `runs:/<run_id>/model`.
   */
  readonly source: string;
  /**
   * The run that logged the model, `null` when none.
   */
  readonly run_id: string | null;
  /**
   * The MLflow 3 logged model behind the version, `null` when none.
   */
  readonly model_id: string | null;
  readonly status: ModelVersionStatus | string;
  readonly status_message: string;
  readonly tags: ReadonlyArray<IRunTag>;
  /**
   * The aliases pointing at this version.
   */
  readonly aliases: ReadonlyArray<IModelAlias>;
}

/**
 * A registered model. Times are ms since the epoch, `null` when unknown.
 */
export interface IRegisteredModel {
  readonly name: string;
  readonly creation_timestamp: number | null;
  readonly last_updated_timestamp: number | null;
  readonly user_id: string;
  readonly description: string;
  /**
   * The latest version of each legacy stage (MLflow's `latest_versions`).
   */
  readonly latest_versions: ReadonlyArray<IModelVersion>;
  readonly tags: ReadonlyArray<IRunTag>;
  readonly aliases: ReadonlyArray<IModelAlias>;
}

/**
 * The Model Registry service.
 *
 * Every method rejects with a `TracksideRequestError` carrying MLflow's
 * `error_code` and message when the request fails.
 */
export interface IRegistryService {
  /**
   * Search registered models, one page at a time.
   */
  searchRegisteredModels(
    options?: IRegistryService.ISearchOptions
  ): Promise<IRegistryService.IRegisteredModelsPage>;

  /**
   * Get one registered model by name.
   */
  getRegisteredModel(name: string): Promise<IRegisteredModel>;

  /**
   * Search model versions, one page at a time; `name` and `runId` narrow
   * the search to one registered model or the versions of one run.
   */
  searchModelVersions(
    options?: IRegistryService.ISearchVersionsOptions
  ): Promise<IRegistryService.IModelVersionsPage>;

  /**
   * Get one version of a registered model.
   */
  getModelVersion(name: string, version: string): Promise<IModelVersion>;

  /**
   * Get the version an alias of a registered model points at.
   */
  getModelVersionByAlias(name: string, alias: string): Promise<IModelVersion>;

  /**
   * Create a registered model.
   */
  createRegisteredModel(
    options: IRegistryService.ICreateRegisteredModelOptions
  ): Promise<IRegisteredModel>;

  /**
   * Replace the description of a registered model.
   */
  updateRegisteredModel(
    name: string,
    description: string
  ): Promise<IRegisteredModel>;

  /**
   * Set (add or replace) a tag of a registered model.
   */
  setRegisteredModelTag(
    name: string,
    key: string,
    value: string
  ): Promise<void>;

  /**
   * Delete a tag of a registered model.
   */
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;

  /**
   * Point an alias at a version, moving it when it pointed elsewhere.
   */
  setAlias(name: string, alias: string, version: string): Promise<void>;

  /**
   * Delete an alias of a registered model.
   */
  deleteAlias(name: string, alias: string): Promise<void>;

  /**
   * Register a new version of a registered model.
   */
  createModelVersion(
    options: IRegistryService.ICreateModelVersionOptions
  ): Promise<IModelVersion>;

  /**
   * Replace the description of a model version.
   */
  updateModelVersion(
    name: string,
    version: string,
    description: string
  ): Promise<IModelVersion>;

  /**
   * Set (add or replace) a tag of a model version.
   */
  setModelVersionTag(
    name: string,
    version: string,
    key: string,
    value: string
  ): Promise<void>;

  /**
   * Delete a tag of a model version.
   */
  deleteModelVersionTag(
    name: string,
    version: string,
    key: string
  ): Promise<void>;

  /**
   * Delete a model version.
   */
  deleteModelVersion(name: string, version: string): Promise<void>;
}

/**
 * A namespace for `IRegistryService` types.
 */
export namespace IRegistryService {
  /**
   * The options of a registered models search.
   */
  export interface ISearchOptions {
    /**
     * A MLflow filter, e.g. `name ILIKE '%iris%'` or `tags.team = 'x'`.
     */
    filter?: string;
    /**
     * The page size; MLflow allows up to 1000 for registered models.
     */
    maxResults?: number;
    /**
     * MLflow order clauses, e.g. `['name ASC']`.
     */
    orderBy?: ReadonlyArray<string>;
    /**
     * The `nextPageToken` of the previous page.
     */
    pageToken?: string;
  }

  /**
   * The options of a model versions search.
   */
  export interface ISearchVersionsOptions extends ISearchOptions {
    /**
     * Only the versions of this registered model.
     */
    name?: string;
    /**
     * Only the versions logged by this run.
     */
    runId?: string;
  }

  /**
   * A page of registered models.
   */
  export interface IRegisteredModelsPage {
    readonly registeredModels: ReadonlyArray<IRegisteredModel>;
    /**
     * The token of the next page, `null` on the last page.
     */
    readonly nextPageToken: string | null;
  }

  /**
   * A page of model versions.
   */
  export interface IModelVersionsPage {
    readonly modelVersions: ReadonlyArray<IModelVersion>;
    /**
     * The token of the next page, `null` on the last page.
     */
    readonly nextPageToken: string | null;
  }

  /**
   * The options to create a registered model.
   */
  export interface ICreateRegisteredModelOptions {
    name: string;
    description?: string;
    tags?: ReadonlyArray<IRunTag>;
  }

  /**
   * The options to register a model version.
   */
  export interface ICreateModelVersionOptions {
    /**
     * The registered model (created first when it does not exist).
     */
    name: string;
    /**
     * The model's files: `models:/m-…` for a logged model or
     * `runs:/<run_id>/<path>` for a model under a run's artifacts.
     */
    source: string;
    runId?: string;
    modelId?: string;
    description?: string;
    tags?: ReadonlyArray<IRunTag>;
  }
}
