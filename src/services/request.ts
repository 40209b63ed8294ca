/**
 * The HTTP plumbing shared by the REST clients: API URLs, the error of a
 * failed request, sending a request so that every failure becomes one, and
 * the JSON request/answer round trip.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { errorMessage } from './errorMessage';
import { Normalize } from './normalize';

/**
 * The path of the Trackside REST API below the Jupyter server base URL.
 */
export const API_PATH = 'trackside/api';

/**
 * Query parameters: a record, or pairs when a name repeats (`order_by`,
 * `run_id`…).
 */
export type Query =
  ReadonlyArray<readonly [string, string]> | Readonly<Record<string, string>>;

/**
 * The HTTP methods of the Trackside API.
 */
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * Encode query parameters, each name and value URI-encoded; `''` for none.
 */
export function queryString(query: Query = {}): string {
  const pairs: ReadonlyArray<readonly [string, string]> = Array.isArray(query)
    ? query
    : Object.entries(query);
  if (pairs.length === 0) {
    return '';
  }
  return (
    '?' +
    pairs
      .map(
        ([name, value]) =>
          `${encodeURIComponent(name)}=${encodeURIComponent(value)}`
      )
      .join('&')
  );
}

/**
 * Build the URL of an API endpoint; every path segment and query
 * parameter is URI-encoded.
 */
export function apiUrl(
  settings: ServerConnection.ISettings,
  segments: ReadonlyArray<string>,
  query: Query = {}
): string {
  return (
    URLExt.join(
      settings.baseUrl,
      API_PATH,
      ...segments.map(segment => encodeURIComponent(segment))
    ) + queryString(query)
  );
}

/**
 * Drop the undefined properties of a JSON body.
 */
export function compact(
  body: Record<string, unknown>
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (value !== undefined) {
      result[key] = value;
    }
  }
  return result;
}

/**
 * A failed Trackside request.
 */
export class TracksideRequestError extends Error {
  /**
   * Create a request error.
   */
  constructor(options: TracksideRequestError.IOptions) {
    super(options.message);
    this.name = 'TracksideRequestError';
    this.status = options.status;
    this.errorCode = options.errorCode;
    this.url = options.url ?? '';
  }

  /**
   * The HTTP status; `0` when the server could not be reached at all.
   */
  readonly status: number;

  /**
   * The error code, e.g. MLflow's `RESOURCE_DOES_NOT_EXIST` or
   * `TRACKSIDE_BACKEND_UNAVAILABLE`.
   */
  readonly errorCode: string;

  /**
   * The requested URL.
   */
  readonly url: string;

  /**
   * Whether the failure means the backend cannot be reached (network
   * failure or HTTP 502/503/504), as opposed to a rejected request.
   */
  get isUnreachable(): boolean {
    return TracksideRequestError.UNREACHABLE_STATUSES.includes(this.status);
  }
}

/**
 * A namespace for `TracksideRequestError` statics.
 */
export namespace TracksideRequestError {
  /**
   * The options to create a request error.
   */
  export interface IOptions {
    status: number;
    errorCode: string;
    message: string;
    url?: string;
  }

  /**
   * Error code of a network failure (no HTTP answer).
   */
  export const NETWORK_ERROR = 'TRACKSIDE_NETWORK_ERROR';

  /**
   * Error code of an answer that is not the expected JSON.
   */
  export const INVALID_RESPONSE = 'TRACKSIDE_INVALID_RESPONSE';

  /**
   * HTTP statuses meaning "unreachable"; 0 is a network failure.
   */
  export const UNREACHABLE_STATUSES: ReadonlyArray<number> = [0, 502, 503, 504];

  /**
   * Whether a value is a request error meaning "unreachable".
   */
  export function isUnreachable(reason: unknown): boolean {
    return reason instanceof TracksideRequestError && reason.isUnreachable;
  }
}

/**
 * Send a request; a network failure becomes a `TracksideRequestError`
 * with status 0.
 */
export async function sendRequest(
  url: string,
  init: RequestInit,
  settings: ServerConnection.ISettings
): Promise<Response> {
  try {
    return await ServerConnection.makeRequest(url, init, settings);
  } catch (reason) {
    throw new TracksideRequestError({
      status: 0,
      errorCode: TracksideRequestError.NETWORK_ERROR,
      message: errorMessage(reason),
      url
    });
  }
}

/**
 * Build the error of a failed HTTP answer.
 *
 * Understands Trackside/MLflow errors (`{error_code, message}`) and
 * Jupyter server errors (`{message, reason}`).
 */
export function responseError(
  response: Response,
  text: string,
  url: string
): TracksideRequestError {
  let data: Record<string, unknown> = {};
  try {
    data = Normalize.record(JSON.parse(text));
  } catch {
    // Not JSON (e.g. an HTML error page): keep the HTTP status only.
  }
  const errorCode =
    typeof data.error_code === 'string' && data.error_code
      ? data.error_code
      : `HTTP_${response.status}`;
  const message =
    typeof data.message === 'string' && data.message
      ? data.message
      : typeof data.reason === 'string' && data.reason
        ? data.reason
        : `HTTP ${response.status} ${response.statusText}`.trim();
  return new TracksideRequestError({
    status: response.status,
    errorCode,
    message,
    url
  });
}

/**
 * Parse a JSON object answer: an empty body is `{}`; anything that is not
 * JSON is a `TracksideRequestError` with code `INVALID_RESPONSE`.
 */
export function parseJsonAnswer(
  text: string,
  response: Response,
  url: string
): Record<string, unknown> {
  if (text.trim() === '') {
    return {};
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

/**
 * Make a request to the Trackside API and parse its JSON answer.
 *
 * A body is sent as JSON (any method, DELETE included, as MLflow's API
 * does); a failed answer becomes a `TracksideRequestError`.
 */
export async function requestJson(
  settings: ServerConnection.ISettings,
  method: HttpMethod,
  segments: ReadonlyArray<string>,
  options: IJsonRequestOptions = {}
): Promise<Record<string, unknown>> {
  const url = apiUrl(settings, segments, options.query);
  const init: RequestInit = { method };
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  if (options.signal) {
    init.signal = options.signal;
  }
  const response = await sendRequest(url, init, settings);
  const text = await response.text();
  if (!response.ok) {
    throw responseError(response, text, url);
  }
  return parseJsonAnswer(text, response, url);
}

/**
 * The optional parts of a JSON request.
 */
export interface IJsonRequestOptions {
  /**
   * Query parameters; each name and value is encoded.
   */
  query?: Query;

  /**
   * The JSON body.
   */
  body?: unknown;

  /**
   * Aborts the request.
   */
  signal?: AbortSignal;
}
