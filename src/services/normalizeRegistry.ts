import { IModelAlias, IModelVersion, IRegisteredModel } from '../tokens';
import { Normalize } from './normalize';

/**
 * Normalisers from MLflow's Model Registry JSON to the typed entities.
 *
 * MLflow omits empty fields (`tags`, `aliases`, `latest_versions`, an unset
 * `run_id`…) and encodes int64 times as strings; these functions always
 * return arrays, strings and numbers (or `null` for "unknown").
 */
export namespace NormalizeRegistry {
  /**
   * Normalise a registered model.
   */
  export function registeredModel(value: unknown): IRegisteredModel {
    const raw = Normalize.record(value);
    return {
      name: Normalize.string(raw.name),
      creation_timestamp: Normalize.finiteOrNull(raw.creation_timestamp),
      last_updated_timestamp: Normalize.finiteOrNull(
        raw.last_updated_timestamp
      ),
      user_id: Normalize.string(raw.user_id),
      description: Normalize.string(raw.description),
      latest_versions: Normalize.array(raw.latest_versions).map(modelVersion),
      tags: Normalize.array(raw.tags).map(Normalize.tag),
      aliases: Normalize.array(raw.aliases)
        .map(alias)
        .filter(a => a.alias !== '')
    };
  }

  /**
   * Normalise a model version. MLflow lists a version's aliases as bare
   * names; each becomes `{alias, version}` with the version's own number.
   */
  export function modelVersion(value: unknown): IModelVersion {
    const raw = Normalize.record(value);
    const version = Normalize.string(raw.version);
    return {
      name: Normalize.string(raw.name),
      version,
      creation_timestamp: Normalize.finiteOrNull(raw.creation_timestamp),
      last_updated_timestamp: Normalize.finiteOrNull(
        raw.last_updated_timestamp
      ),
      user_id: Normalize.string(raw.user_id),
      current_stage: Normalize.string(raw.current_stage) || 'None',
      description: Normalize.string(raw.description),
      source: Normalize.string(raw.source),
      run_id: Normalize.string(raw.run_id) || null,
      model_id:
        Normalize.string(raw.model_id) ||
        Private.modelIdOf(Normalize.string(raw.source)),
      status: Normalize.string(raw.status),
      status_message: Normalize.string(raw.status_message),
      tags: Normalize.array(raw.tags).map(Normalize.tag),
      aliases: Normalize.array(raw.aliases)
        .map(item =>
          typeof item === 'string' ? { alias: item, version } : alias(item)
        )
        .filter(a => a.alias !== '')
    };
  }

  /**
   * Normalise an alias of a registered model.
   */
  export function alias(value: unknown): IModelAlias {
    const raw = Normalize.record(value);
    return {
      alias: Normalize.string(raw.alias),
      version: Normalize.string(raw.version)
    };
  }
}

namespace Private {
  /**
   * The logged model id of a `models:/m-…` source; MLflow's registry store
   * keeps the source but not always the `model_id` field.
   */
  export function modelIdOf(source: string): string | null {
    const match = /^models:\/(m-[0-9a-f]+)\/?$/.exec(source);
    return match ? match[1] : null;
  }
}
