import { ServerConnection } from '@jupyterlab/services';
import { IPredictResult, IServedModel, IServingService } from '../tokens';
import { TracksideClient } from './client';
import { Normalize } from './normalize';
import { responseError, sendRequest, TracksideRequestError } from './request';
import { ServingNormalize } from './servingNormalize';

/**
 * The REST client of the serving endpoints (`/trackside/api/serving`).
 */
export class ServingClient implements IServingService {
  /**
   * Create a client.
   */
  constructor(options: ServingClient.IOptions) {
    this.serverSettings = options.serverSettings;
  }

  /**
   * The server settings; read at every request, never cached.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * The served models.
   */
  async list(): Promise<IServedModel[]> {
    return ServingNormalize.servedList(await this._request('GET', []));
  }

  /**
   * Start serving a registered model version.
   */
  async start(name: string, version: string): Promise<IServedModel> {
    const answer = await this._request('POST', [], { name, version });
    return ServingNormalize.served(answer.served);
  }

  /**
   * Stop a served model.
   */
  async stop(id: string): Promise<IServedModel> {
    const answer = await this._request('DELETE', [id]);
    return ServingNormalize.served(answer.served);
  }

  /**
   * Send a scoring payload to a served model.
   */
  async predict(
    id: string,
    payload: unknown,
    options: IServingService.IRequestOptions = {}
  ): Promise<IPredictResult> {
    const answer = await this._request(
      'POST',
      [id, 'predict'],
      payload,
      options.signal
    );
    return ServingNormalize.predictResult(answer);
  }

  /**
   * Make a request below `serving/` and parse its JSON answer.
   */
  private async _request(
    method: 'GET' | 'POST' | 'DELETE',
    segments: string[],
    body?: unknown,
    signal?: AbortSignal
  ): Promise<Record<string, unknown>> {
    const settings = this.serverSettings;
    const url = TracksideClient.url(settings, ['serving', ...segments]);
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    if (signal) {
      init.signal = signal;
    }
    const response = await sendRequest(url, init, settings);
    const text = await response.text();
    if (!response.ok) {
      throw responseError(response, text, url);
    }
    try {
      return Normalize.record(JSON.parse(text));
    } catch {
      throw new TracksideRequestError({
        status: response.status,
        errorCode: TracksideRequestError.INVALID_RESPONSE,
        message: `Invalid JSON answer from ${url}`,
        url
      });
    }
  }
}

/**
 * A namespace for `ServingClient` statics.
 */
export namespace ServingClient {
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
