import { ServerConnection } from '@jupyterlab/services';
import {
  IExecutionOutput,
  IProjectExecution,
  IProjectsClient,
  IProjectSpecAnswer,
  IStartExecutionOptions
} from '../tokens';
import {
  HttpMethod,
  IJsonRequestOptions,
  compact,
  requestJson
} from './request';
import { ProjectsNormalize } from './projectsNormalize';

/**
 * The REST client of the projects endpoints (`/trackside/api/projects`).
 */
export class ProjectsClient implements IProjectsClient {
  /**
   * Create a client.
   */
  constructor(options: ProjectsClient.IOptions) {
    this.serverSettings = options.serverSettings;
  }

  /**
   * The server settings; read at every request, never cached.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * The MLproject of a directory and the installed environment managers.
   */
  async spec(path: string): Promise<IProjectSpecAnswer> {
    return ProjectsNormalize.specAnswer(
      await this._request('GET', ['spec'], { query: { path } })
    );
  }

  /**
   * Every execution, newest first.
   */
  async executions(): Promise<IProjectExecution[]> {
    return ProjectsNormalize.executions(
      await this._request('GET', ['executions'])
    );
  }

  /**
   * Start an execution.
   */
  async start(options: IStartExecutionOptions): Promise<IProjectExecution> {
    const answer = await this._request('POST', ['executions'], {
      body: compact({ ...options })
    });
    return ProjectsNormalize.execution(answer.execution);
  }

  /**
   * One execution.
   */
  async execution(id: string): Promise<IProjectExecution> {
    const answer = await this._request('GET', ['executions', id]);
    return ProjectsNormalize.execution(answer.execution);
  }

  /**
   * The output of an execution after `offset` (long-polled).
   */
  async output(
    id: string,
    offset: number,
    options: IProjectsClient.IOutputOptions = {}
  ): Promise<IExecutionOutput> {
    const query: Record<string, string> = { offset: String(offset) };
    if (options.wait !== undefined) {
      query.wait = String(options.wait);
    }
    const answer = await this._request('GET', ['executions', id, 'output'], {
      query,
      signal: options.signal
    });
    return ProjectsNormalize.output(answer, offset);
  }

  /**
   * Stop an execution.
   */
  async stop(id: string): Promise<IProjectExecution> {
    const answer = await this._request('DELETE', ['executions', id]);
    return ProjectsNormalize.execution(answer.execution);
  }

  /**
   * Make a request below `projects/` and parse its JSON answer.
   */
  private _request(
    method: HttpMethod,
    segments: string[],
    options: IJsonRequestOptions = {}
  ): Promise<Record<string, unknown>> {
    return requestJson(
      this.serverSettings,
      method,
      ['projects', ...segments],
      options
    );
  }
}

/**
 * A namespace for `ProjectsClient` statics.
 */
export namespace ProjectsClient {
  /**
   * The options to create a client.
   */
  export interface IOptions {
    /**
     * The Jupyter server settings (base URL, token, fetch).
     */
    serverSettings: ServerConnection.ISettings;
  }
}
