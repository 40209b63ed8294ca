/**
 * The scoring payload a model version was logged with, read through the
 * Trackside gateway (`mlflow/model-versions/get`) and artifact endpoint
 * (`artifacts/file`): MLflow writes `serving_input_example.json` (a ready
 * payload) beside `input_example.json` (the raw example) when a model is
 * logged with an input example.
 */
import { ServerConnection } from '@jupyterlab/services';
import { TracksideClient } from './client';
import { Normalize } from './normalize';
import { responseError, sendRequest } from './request';

/**
 * A model version's example payload and the file it came from.
 */
export interface IServingExample {
  readonly payload: unknown;
  readonly path: string;
}

/**
 * Read the example payload of a registered model version; `null` when it
 * was logged without one.
 */
export async function fetchServingExample(
  settings: ServerConnection.ISettings,
  name: string,
  version: string,
  signal?: AbortSignal
): Promise<IServingExample | null> {
  const answer = await Private.getJson(
    settings,
    ['mlflow', 'model-versions', 'get'],
    { name, version },
    signal
  );
  const location = modelFilesLocation(
    Normalize.record(Normalize.record(answer).model_version)
  );
  if (!location) {
    return null;
  }
  for (const file of ['serving_input_example.json', 'input_example.json']) {
    const path = location.prefix + file;
    const content = await Private.getJson(
      settings,
      ['artifacts', 'file'],
      { ...location.query, path },
      signal,
      true
    );
    if (content !== undefined) {
      return {
        payload:
          file === 'input_example.json' ? wrapInputExample(content) : content,
        path
      };
    }
  }
  return null;
}

/**
 * Where a model version's files are: a MLflow 3 logged model (`model_id`,
 * or a `models:/m-…` source) or a run's artifacts (`runs:/RUN/PATH`);
 * `null` when the source is neither.
 */
export function modelFilesLocation(
  version: Record<string, unknown>
): { query: Record<string, string>; prefix: string } | null {
  const source = typeof version.source === 'string' ? version.source : '';
  const modelId =
    typeof version.model_id === 'string' && version.model_id
      ? version.model_id
      : /^models:\/(m-[0-9a-f]+)$/.exec(source)?.[1];
  if (modelId) {
    return { query: { model_id: modelId }, prefix: '' };
  }
  const run = /^runs:\/([^/]+)\/(.+?)\/?$/.exec(source);
  if (run) {
    return { query: { run_id: run[1] }, prefix: `${run[2]}/` };
  }
  return null;
}

/**
 * A payload from a raw `input_example.json`: a pandas split
 * (`{columns, data}`) as `dataframe_split`, a list of records as
 * `dataframe_records`, anything else as `inputs`.
 */
export function wrapInputExample(example: unknown): Record<string, unknown> {
  const raw = Normalize.record(example);
  if (Array.isArray(raw.data) && Array.isArray(raw.columns)) {
    return { dataframe_split: example };
  }
  if (
    Array.isArray(example) &&
    example.length > 0 &&
    example.every(
      item => typeof item === 'object' && item !== null && !Array.isArray(item)
    )
  ) {
    return { dataframe_records: example };
  }
  return { inputs: example };
}

namespace Private {
  /**
   * GET a JSON answer; with `missingOk`, a 404 resolves `undefined`.
   */
  export async function getJson(
    settings: ServerConnection.ISettings,
    segments: string[],
    query: Record<string, string>,
    signal: AbortSignal | undefined,
    missingOk = false
  ): Promise<unknown> {
    const url = TracksideClient.url(settings, segments, query);
    const init: RequestInit = { method: 'GET' };
    if (signal) {
      init.signal = signal;
    }
    const response = await sendRequest(url, init, settings);
    const text = await response.text();
    if (missingOk && response.status === 404) {
      return undefined;
    }
    if (!response.ok) {
      throw responseError(response, text, url);
    }
    return JSON.parse(text);
  }
}
