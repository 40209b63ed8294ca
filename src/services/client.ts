import { ServerConnection } from '@jupyterlab/services';
import {
  IArtifactList,
  IBackendStatus,
  IExperiment,
  IMetric,
  IRun,
  ITracksideService
} from '../tokens';
import { ARROW_STREAM_MEDIA_TYPE } from '../wire/schema';
import { Normalize } from './normalize';
import {
  apiUrl,
  compact,
  HttpMethod,
  Query,
  requestJson,
  responseError,
  sendRequest
} from './request';

// Importers of the client also get its error type and API path here.
export { API_PATH, TracksideRequestError } from './request';

/**
 * The REST client of the Trackside server extension.
 */
export class TracksideClient implements ITracksideService {
  /**
   * Create a client.
   */
  constructor(options: TracksideClient.IOptions) {
    this.serverSettings = options.serverSettings;
  }

  /**
   * The server settings; read at every request, never cached.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * Get the status of the tracking backend.
   */
  async status(): Promise<IBackendStatus> {
    const answer = await this._request('GET', ['status']);
    return Normalize.backendStatus(answer);
  }

  /**
   * Search experiments.
   */
  async searchExperiments(
    options: ITracksideService.ISearchExperimentsOptions = {}
  ): Promise<ITracksideService.IExperimentsPage> {
    const answer = await this._request(
      'POST',
      ['mlflow', 'experiments', 'search'],
      {},
      compact({
        max_results: options.maxResults ?? Private.DEFAULT_MAX_RESULTS,
        order_by: options.orderBy,
        filter: options.filter,
        page_token: options.pageToken,
        view_type: options.viewType
      })
    );
    return {
      experiments: Normalize.array(answer.experiments).map(
        Normalize.experiment
      ),
      nextPageToken: Normalize.pageToken(answer)
    };
  }

  /**
   * Get one experiment by id.
   */
  async getExperiment(experimentId: string): Promise<IExperiment> {
    const answer = await this._request(
      'GET',
      ['mlflow', 'experiments', 'get'],
      { experiment_id: experimentId }
    );
    return Normalize.experiment(answer.experiment);
  }

  /**
   * Search the runs of one or more experiments.
   */
  async searchRuns(
    options: ITracksideService.ISearchRunsOptions
  ): Promise<ITracksideService.IRunsPage> {
    const answer = await this._request(
      'POST',
      ['mlflow', 'runs', 'search'],
      {},
      compact({
        experiment_ids: options.experimentIds,
        filter: options.filter,
        max_results: options.maxResults ?? Private.DEFAULT_MAX_RESULTS,
        order_by: options.orderBy,
        page_token: options.pageToken
      })
    );
    return {
      runs: Normalize.array(answer.runs).map(Normalize.run),
      nextPageToken: Normalize.pageToken(answer)
    };
  }

  /**
   * Get one run by id.
   */
  async getRun(runId: string): Promise<IRun> {
    const answer = await this._request('GET', ['mlflow', 'runs', 'get'], {
      run_id: runId
    });
    return Normalize.run(answer.run);
  }

  /**
   * Get the full history of one metric of a run, following pages.
   */
  async getMetricHistory(runId: string, key: string): Promise<IMetric[]> {
    const metrics: IMetric[] = [];
    const seen = new Set<string>();
    let pageToken: string | null = null;
    do {
      const query: Record<string, string> = { run_id: runId, metric_key: key };
      if (pageToken) {
        seen.add(pageToken);
        query.page_token = pageToken;
      }
      const answer = await this._request(
        'GET',
        ['mlflow', 'metrics', 'get-history'],
        query
      );
      metrics.push(...Normalize.array(answer.metrics).map(Normalize.metric));
      pageToken = Normalize.pageToken(answer);
    } while (pageToken && !seen.has(pageToken));
    return metrics;
  }

  /**
   * List the artifacts of a run, optionally below a path.
   */
  async listArtifacts(runId: string, path?: string): Promise<IArtifactList> {
    const query: Record<string, string> = { run_id: runId };
    if (path) {
      query.path = path;
    }
    const answer = await this._request(
      'GET',
      ['mlflow', 'artifacts', 'list'],
      query
    );
    return Normalize.artifactList(answer);
  }

  /**
   * Get metric histories as an Arrow IPC stream (binary answer).
   *
   * Several `run_id` and `key` parameters are sent; the answer holds every
   * (run, key) pair that has points.
   */
  async getMetricHistoryArrow(
    options: ITracksideService.IMetricHistoryOptions
  ): Promise<ArrayBuffer> {
    const settings = this.serverSettings;
    const query: [string, string][] = [];
    const add = (name: string, value: string | number) =>
      query.push([name, String(value)]);
    options.runIds.forEach(runId => add('run_id', runId));
    options.keys.forEach(key => add('key', key));
    if (options.startStep !== undefined) {
      add('start_step', options.startStep);
    }
    if (options.endStep !== undefined) {
      add('end_step', options.endStep);
    }
    if (options.maxPoints !== undefined) {
      add('max_points', options.maxPoints);
    }
    const url = apiUrl(settings, ['metrics', 'history'], query);
    const init: RequestInit = {
      method: 'GET',
      headers: { Accept: ARROW_STREAM_MEDIA_TYPE }
    };
    if (options.signal) {
      init.signal = options.signal;
    }

    const response = await sendRequest(url, init, settings);
    if (!response.ok) {
      throw responseError(response, await response.text(), url);
    }
    return response.arrayBuffer();
  }

  /**
   * Make a request to the Trackside API and parse its JSON answer.
   */
  private _request(
    method: HttpMethod,
    segments: string[],
    query: Query = {},
    body?: Record<string, unknown>
  ): Promise<Record<string, unknown>> {
    return requestJson(this.serverSettings, method, segments, { query, body });
  }
}

/**
 * A namespace for `TracksideClient` statics.
 */
export namespace TracksideClient {
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
   * Build the URL of an API endpoint; see `apiUrl`.
   */
  export const url = apiUrl;
}

namespace Private {
  /**
   * MLflow's server rejects a search body without `max_results` (it reads the
   * missing field as 0), so one is always sent; 1000 is MLflow's own default.
   */
  export const DEFAULT_MAX_RESULTS = 1000;
}
