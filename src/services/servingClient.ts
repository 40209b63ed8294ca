import { ServerConnection } from '@jupyterlab/services';
import { IPredictResult, IServedModel, IServingService } from '../tokens';
import { HttpMethod, requestJson } from './request';
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
  private _request(
    method: HttpMethod,
    segments: string[],
    body?: unknown,
    signal?: AbortSignal
  ): Promise<Record<string, unknown>> {
    return requestJson(this.serverSettings, method, ['serving', ...segments], {
      body,
      signal
    });
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
