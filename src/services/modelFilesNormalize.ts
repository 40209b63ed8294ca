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
      model_id: Normalize.string(info.model_id),
      experiment_id: Normalize.string(info.experiment_id),
      name: Normalize.string(info.name),
      artifact_uri: Normalize.string(info.artifact_uri),
      status: Normalize.string(info.status),
      source_run_id: Normalize.string(info.source_run_id) || null,
      model_type: Normalize.string(info.model_type) || null,
      creation_timestamp_ms: Normalize.finiteOrNull(info.creation_timestamp_ms),
      last_updated_timestamp_ms: Normalize.finiteOrNull(
        info.last_updated_timestamp_ms
      ),
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
        return {
          name: Normalize.string(c.name),
          type: Normalize.string(c.type)
        };
      }),
      rows: Normalize.array(raw.rows).map(row => Normalize.array(row)),
      total_rows: Normalize.finiteOrNull(raw.total_rows),
      truncated: raw.truncated === true
    };
  }
}
