import {
  BackendMode,
  BackendState,
  IArtifactList,
  IBackendCapabilities,
  IBackendStatus,
  IExperiment,
  IFileInfo,
  IMetric,
  IParam,
  IRun,
  IRunTag
} from '../tokens';

/**
 * Normalisers from MLflow's REST JSON to the typed Trackside entities.
 *
 * MLflow omits empty repeated fields (`runs`, `metrics`, `params`, ...) and
 * may encode int64 fields (times, steps) as strings; these functions always
 * return arrays and numbers.
 */
export namespace Normalize {
  /**
   * Normalise a backend status answer.
   */
  export function backendStatus(value: unknown): IBackendStatus {
    const raw = record(value);
    return {
      tracking_uri: string(raw.tracking_uri),
      mode: oneOf<BackendMode>(
        raw.mode,
        ['embedded', 'adopted', 'external'],
        'external'
      ),
      healthy: raw.healthy === true,
      mlflow_version: stringOrNull(raw.mlflow_version),
      state: oneOf<BackendState>(
        raw.state,
        ['starting', 'ready', 'restarting', 'failed', 'unreachable'],
        'unreachable'
      ),
      message: stringOrNull(raw.message),
      capabilities: capabilities(raw.capabilities)
    };
  }

  /**
   * Normalise the capabilities of a status answer; `null` when absent.
   */
  export function capabilities(value: unknown): IBackendCapabilities | null {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return null;
    }
    const raw = record(value);
    return {
      registry_write: raw.registry_write === true,
      serving: raw.serving === true
    };
  }

  /**
   * Normalise an experiment.
   */
  export function experiment(value: unknown): IExperiment {
    const raw = record(value);
    return {
      experiment_id: string(raw.experiment_id),
      name: string(raw.name),
      artifact_location: string(raw.artifact_location),
      lifecycle_stage: string(raw.lifecycle_stage),
      last_update_time: numberOrNull(raw.last_update_time),
      creation_time: numberOrNull(raw.creation_time),
      tags: array(raw.tags).map(tag)
    };
  }

  /**
   * Normalise a run.
   */
  export function run(value: unknown): IRun {
    const raw = record(value);
    const info = record(raw.info);
    const data = record(raw.data);
    const tags = array(data.tags).map(tag);
    const runName =
      string(info.run_name) ||
      (tags.find(t => t.key === 'mlflow.runName')?.value ?? '');
    return {
      info: {
        run_id: string(info.run_id ?? info.run_uuid),
        run_name: runName,
        experiment_id: string(info.experiment_id),
        status: string(info.status),
        start_time: numberOrNull(info.start_time),
        end_time: numberOrNull(info.end_time),
        lifecycle_stage: string(info.lifecycle_stage),
        artifact_uri: string(info.artifact_uri),
        user_id: string(info.user_id)
      },
      data: {
        metrics: array(data.metrics).map(metric),
        params: array(data.params).map(param),
        tags
      }
    };
  }

  /**
   * Normalise a metric point.
   */
  export function metric(value: unknown): IMetric {
    const raw = record(value);
    return {
      key: string(raw.key),
      value: number(raw.value),
      timestamp: numberOrNull(raw.timestamp),
      step: numberOrNull(raw.step) ?? 0
    };
  }

  /**
   * Normalise a parameter.
   */
  export function param(value: unknown): IParam {
    const raw = record(value);
    return { key: string(raw.key), value: string(raw.value) };
  }

  /**
   * Normalise a tag.
   */
  export function tag(value: unknown): IRunTag {
    const raw = record(value);
    return { key: string(raw.key), value: string(raw.value) };
  }

  /**
   * Normalise an artifact listing.
   */
  export function artifactList(value: unknown): IArtifactList {
    const raw = record(value);
    return {
      root_uri: string(raw.root_uri),
      files: array(raw.files).map(fileInfo),
      nextPageToken: pageToken(raw)
    };
  }

  /**
   * Normalise an artifact entry.
   */
  export function fileInfo(value: unknown): IFileInfo {
    const raw = record(value);
    return {
      path: string(raw.path),
      is_dir: raw.is_dir === true,
      file_size: numberOrNull(raw.file_size)
    };
  }

  /**
   * The `next_page_token` of an answer, `null` when absent or empty.
   */
  export function pageToken(raw: Record<string, unknown>): string | null {
    return stringOrNull(raw.next_page_token) || null;
  }

  /**
   * View a JSON value as an object (an empty one when it is not).
   */
  export function record(value: unknown): Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  }

  /**
   * View a JSON value as an array (an empty one when it is not).
   */
  export function array(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
  }

  /**
   * A string from a JSON string, number or boolean (MLflow's int64 ids and
   * versions may come as numbers); `''` otherwise.
   */
  export function string(value: unknown): string {
    if (typeof value === 'string') {
      return value;
    }
    if (typeof value === 'number' || typeof value === 'boolean') {
      return String(value);
    }
    return '';
  }

  /**
   * A JSON string as it is; `null` when it is not a string.
   */
  export function stringOrNull(value: unknown): string | null {
    return typeof value === 'string' ? value : null;
  }

  /**
   * A number from a JSON number or numeric string (`"NaN"` and
   * `"Infinity"` included, as protobuf JSON encodes them); `NaN` otherwise.
   */
  export function number(value: unknown): number {
    if (typeof value === 'number') {
      return value;
    }
    if (typeof value === 'string' && value.trim() !== '') {
      return Number(value);
    }
    return NaN;
  }

  /**
   * A number as `number` reads it; `null` for `NaN`.
   */
  export function numberOrNull(value: unknown): number | null {
    const result = number(value);
    return Number.isNaN(result) ? null : result;
  }

  /**
   * A finite number, e.g. a time in ms from a JSON number or MLflow's int64
   * string; `null` otherwise.
   */
  export function finiteOrNull(value: unknown): number | null {
    const result = number(value);
    return Number.isFinite(result) ? result : null;
  }

  /**
   * One of the allowed values; `fallback` for anything else.
   */
  export function oneOf<T extends string>(
    value: unknown,
    allowed: ReadonlyArray<T>,
    fallback: T
  ): T {
    return allowed.find(item => item === value) ?? fallback;
  }
}
