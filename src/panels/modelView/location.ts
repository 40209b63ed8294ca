/**
 * Where a model's files are: a logged model's own files or a folder of a
 * run's artifacts.
 */
import { FileOwner } from '../../tokens';

/**
 * The files of a model: whose, and the folder of its `MLmodel`.
 */
export interface IModelLocation {
  readonly owner: FileOwner;
  /**
   * The model's folder below the owner's root ('' for the root itself).
   */
  readonly root: string;
}

/**
 * The location of a registered version's files, from its `model_id` or
 * its `source` (`models:/m-…`, `runs:/RUN/PATH`, or a storage URI below
 * the run's `artifacts/`); `null` when it cannot be told.
 */
export function versionLocation(version: {
  readonly source: string;
  readonly run_id: string | null;
  readonly model_id: string | null;
}): IModelLocation | null {
  if (version.model_id) {
    return { owner: { modelId: version.model_id }, root: '' };
  }
  const source = version.source;
  const logged = /^models:\/(m-[A-Za-z0-9]+)\/?$/.exec(source);
  if (logged) {
    return { owner: { modelId: logged[1] }, root: '' };
  }
  const run = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
  if (run) {
    return { owner: { runId: run[1] }, root: trimSlashes(run[2]) };
  }
  if (version.run_id) {
    const marker = `/${version.run_id}/artifacts/`;
    const at = source.indexOf(marker);
    if (at >= 0) {
      return {
        owner: { runId: version.run_id },
        root: trimSlashes(source.slice(at + marker.length))
      };
    }
  }
  return null;
}

/**
 * A path below a folder ('' is the root).
 */
export function joinPath(folder: string, name: string): string {
  return folder ? `${trimSlashes(folder)}/${name}` : name;
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
