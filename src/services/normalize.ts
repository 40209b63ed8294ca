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
    const raw = Private.record(value);
    return {
      tracking_uri: Private.string(raw.tracking_uri),
      mode: Private.oneOf<BackendMode>(
        raw.mode,
        ['embedded', 'adopted', 'external'],
        'external'
      ),
      healthy: raw.healthy === true,
      mlflow_version: Private.stringOrNull(raw.mlflow_version),
      state: Private.oneOf<BackendState>(
        raw.state,
        ['starting', 'ready', 'restarting', 'failed', 'unreachable'],
        'unreachable'
      ),
      message: Private.stringOrNull(raw.message),
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
    const raw = Private.record(value);
    return {
      registry_write: raw.registry_write === true,
      serving: raw.serving === true
    };
  }

  /**
   * Normalise an experiment.
   */
  export function experiment(value: unknown): IExperiment {
    const raw = Private.record(value);
    return {
      experiment_id: Private.string(raw.experiment_id),
      name: Private.string(raw.name),
      artifact_location: Private.string(raw.artifact_location),
      lifecycle_stage: Private.string(raw.lifecycle_stage),
      last_update_time: Private.numberOrNull(raw.last_update_time),
      creation_time: Private.numberOrNull(raw.creation_time),
      tags: Private.array(raw.tags).map(tag)
    };
  }

  /**
   * Normalise a run.
   */
  export function run(value: unknown): IRun {
    const raw = Private.record(value);
    const info = Private.record(raw.info);
    const data = Private.record(raw.data);
    const tags = Private.array(data.tags).map(tag);
    const runName =
      Private.string(info.run_name) ||
      (tags.find(t => t.key === 'mlflow.runName')?.value ?? '');
    return {
      info: {
        run_id: Private.string(info.run_id ?? info.run_uuid),
        run_name: runName,
        experiment_id: Private.string(info.experiment_id),
        status: Private.string(info.status),
        start_time: Private.numberOrNull(info.start_time),
        end_time: Private.numberOrNull(info.end_time),
        lifecycle_stage: Private.string(info.lifecycle_stage),
        artifact_uri: Private.string(info.artifact_uri),
        user_id: Private.string(info.user_id)
      },
      data: {
        metrics: Private.array(data.metrics).map(metric),
        params: Private.array(data.params).map(param),
        tags
      }
    };
  }

  /**
   * Normalise a metric point.
   */
  export function metric(value: unknown): IMetric {
    const raw = Private.record(value);
    return {
      key: Private.string(raw.key),
      value: Private.number(raw.value),
      timestamp: Private.numberOrNull(raw.timestamp),
      step: Private.numberOrNull(raw.step) ?? 0
    };
  }

  /**
   * Normalise a parameter.
   */
  export function param(value: unknown): IParam {
    const raw = Private.record(value);
    return { key: Private.string(raw.key), value: Private.string(raw.value) };
  }

  /**
   * Normalise a tag.
   */
  export function tag(value: unknown): IRunTag {
    const raw = Private.record(value);
    return { key: Private.string(raw.key), value: Private.string(raw.value) };
  }

  /**
   * Normalise an artifact listing.
   */
  export function artifactList(value: unknown): IArtifactList {
    const raw = Private.record(value);
    return {
      root_uri: Private.string(raw.root_uri),
      files: Private.array(raw.files).map(fileInfo),
      nextPageToken: pageToken(raw)
    };
  }

  /**
   * Normalise an artifact entry.
   */
  export function fileInfo(value: unknown): IFileInfo {
    const raw = Private.record(value);
    return {
      path: Private.string(raw.path),
      is_dir: raw.is_dir === true,
      file_size: Private.numberOrNull(raw.file_size)
    };
  }

  /**
   * The `next_page_token` of an answer, `null` when absent or empty.
   */
  export function pageToken(raw: Record<string, unknown>): string | null {
    return Private.stringOrNull(raw.next_page_token) || null;
  }

  /**
   * View a JSON value as an object (an empty one when it is not).
   */
  export function record(value: unknown): Record<string, unknown> {
    return Private.record(value);
  }

  /**
   * View a JSON value as an array (an empty one when it is not).
   */
  export function array(value: unknown): unknown[] {
    return Private.array(value);
  }
}

namespace Private {
  export function record(value: unknown): Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  }

  export function array(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
  }

  export function string(value: unknown): string {
    if (typeof value === 'string') {
      return value;
    }
    if (typeof value === 'number' || typeof value === 'boolean') {
      return String(value);
    }
    return '';
  }

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

  export function numberOrNull(value: unknown): number | null {
    const result = number(value);
    return Number.isNaN(result) ? null : result;
  }

  export function oneOf<T extends string>(
    value: unknown,
    allowed: ReadonlyArray<T>,
    fallback: T
  ): T {
    return allowed.find(item => item === value) ?? fallback;
  }
}
