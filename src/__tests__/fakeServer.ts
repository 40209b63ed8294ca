import { ServerConnection } from '@jupyterlab/services';

/**
 * The base URL used by the tests (a non-root base URL on purpose).
 */
export const BASE_URL = 'http://localhost:8888/lab-base/';

/**
 * A request received by the fake server.
 */
export interface IRecordedRequest {
  readonly method: string;
  /**
   * The URL as sent, without the cache-busting parameter.
   */
  readonly url: string;
  /**
   * The path below `<BASE_URL>trackside/api/`, still percent-encoded.
   */
  readonly endpoint: string;
  /**
   * The decoded query parameters (cache buster removed).
   */
  readonly query: Record<string, string>;
  readonly body: unknown;
  readonly headers: Headers;
}

/**
 * A route handler of the fake server.
 */
export type Handler = (
  request: IRecordedRequest
) => Response | Promise<Response>;

/**
 * A recording fake `fetch` behind real `ServerConnection` settings.
 */
export class FakeServer {
  constructor(handler: Handler = () => json({})) {
    this.handler = handler;
  }

  /**
   * The current handler; tests swap it to simulate transitions.
   */
  handler: Handler;

  /**
   * Every request received, in order.
   */
  readonly requests: IRecordedRequest[] = [];

  /**
   * Requests to one endpoint.
   */
  requestsTo(endpoint: string): IRecordedRequest[] {
    return this.requests.filter(r => r.endpoint === endpoint);
  }

  readonly fetch = async (
    input: RequestInfo | URL,
    init?: RequestInit
  ): Promise<Response> => {
    const request =
      input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(request.url);
    const query: Record<string, string> = {};
    url.searchParams.forEach((value, key) => {
      // ServerConnection appends a bare timestamp to bust caches.
      if (/^\d+$/.test(key) && value === '') {
        return;
      }
      query[key] = value;
    });
    const rawQuery = request.url.includes('?')
      ? request.url
          .slice(request.url.indexOf('?') + 1)
          .split('&')
          .filter(part => !/^\d+$/.test(part))
          .join('&')
      : '';
    const prefix = `${BASE_URL}trackside/api/`;
    const path = request.url.split('?')[0];
    const text = await request.text();
    const recorded: IRecordedRequest = {
      method: request.method,
      url: rawQuery ? `${path}?${rawQuery}` : path,
      endpoint: path.startsWith(prefix) ? path.slice(prefix.length) : path,
      query,
      body: text ? JSON.parse(text) : null,
      headers: request.headers
    };
    this.requests.push(recorded);
    return this.handler(recorded);
  };

  readonly serverSettings: ServerConnection.ISettings =
    ServerConnection.makeSettings({
      baseUrl: BASE_URL,
      fetch: this.fetch,
      Request,
      Headers
    });
}

/**
 * A JSON response.
 */
export function json(data: unknown, status = 200): Response {
  return new Response(JSON.stringify(data), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

/**
 * Wait until a condition holds (or fail after `timeout` ms).
 */
export async function waitFor(
  condition: () => boolean,
  timeout = 3000
): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeout) {
      throw new Error('Timed out waiting for a condition');
    }
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}

/**
 * Sleep for some milliseconds.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/**
 * A healthy backend status answer.
 */
export const HEALTHY_STATUS = {
  tracking_uri: 'http://127.0.0.1:5000',
  mode: 'embedded',
  healthy: true,
  mlflow_version: '3.1.0',
  state: 'ready',
  message: null
};

/**
 * A routing handler for a healthy backend with the given data.
 */
export function healthyBackend(data: {
  experiments?: unknown[];
  runs?: Record<string, unknown[]>;
}): Handler {
  return request => {
    switch (request.endpoint) {
      case 'status':
        return json(HEALTHY_STATUS);
      case 'mlflow/experiments/search':
        return json(data.experiments ? { experiments: data.experiments } : {});
      case 'mlflow/runs/search': {
        const body = request.body as { experiment_ids: string[] };
        const runs = body.experiment_ids.flatMap(id => data.runs?.[id] ?? []);
        return json(runs.length ? { runs } : {});
      }
      default:
        return json(
          { error_code: 'ENDPOINT_NOT_FOUND', message: 'Not found' },
          404
        );
    }
  };
}
