/**
 * Normalisers of the model files answers: untrusted JSON in, typed
 * entities out (missing fields become empty values, never `undefined`).
 */
import { IFileInfo, IFileTable, ILoggedModel } from '../tokens';
import { Normalize } from './normalize';

export namespace ModelFilesNormalize {
  /**
   * Normalise a logged model: MLflow's `{info, data}` or its `info` alone.
   */
  export function loggedModel(value: unknown): ILoggedModel {
    const raw = Normalize.record(value);
    const info = raw.info !== undefined ? Normalize.record(raw.info) : raw;
    return {
      model_id: text(info.model_id),
      experiment_id: text(info.experiment_id),
      name: text(info.name),
      artifact_uri: text(info.artifact_uri),
      status: text(info.status),
      source_run_id: textOrNull(info.source_run_id),
      model_type: textOrNull(info.model_type),
      creation_timestamp_ms: numberOrNull(info.creation_timestamp_ms),
      last_updated_timestamp_ms: numberOrNull(info.last_updated_timestamp_ms),
      tags: Normalize.array(info.tags).map(Normalize.tag)
    };
  }

  /**
   * Normalise a file listing `{files: [...]}`.
   */
  export function files(value: unknown): IFileInfo[] {
    return Normalize.array(Normalize.record(value).files).map(
      Normalize.fileInfo
    );
  }

  /**
   * Normalise the first rows of a table file.
   */
  export function table(value: unknown): IFileTable {
    const raw = Normalize.record(value);
    return {
      columns: Normalize.array(raw.columns).map(column => {
        const c = Normalize.record(column);
        return { name: text(c.name), type: text(c.type) };
      }),
      rows: Normalize.array(raw.rows).map(row => Normalize.array(row)),
      total_rows: numberOrNull(raw.total_rows),
      truncated: raw.truncated === true
    };
  }

  /**
   * A string field; numbers (MLflow's int64 ids) become strings.
   */
  export function text(value: unknown): string {
    if (typeof value === 'string') {
      return value;
    }
    return typeof value === 'number' ? String(value) : '';
  }

  export function textOrNull(value: unknown): string | null {
    const result = text(value);
    return result === '' ? null : result;
  }

  /**
   * A number field; MLflow's int64 fields may come as strings.
   */
  export function numberOrNull(value: unknown): number | null {
    const result =
      typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    return typeof result === 'number' && Number.isFinite(result)
      ? result
      : null;
  }
}
