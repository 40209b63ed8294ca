/**
 * The HTTP plumbing of the REST client: the error of a failed request, and
 * sending a request so that every failure becomes one.
 */
import { ServerConnection } from '@jupyterlab/services';
import { errorMessage } from './errorMessage';
import { Normalize } from './normalize';

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
