/**
 * The scoring payload a model version was logged with, for the predict
 * form: MLflow writes `serving_input_example.json` (a ready payload)
 * beside `input_example.json` (the raw example) when a model is logged
 * with an input example. Read through the Model Registry and model files
 * services; no DOM.
 */
import { TracksideRequestError } from '../../services/request';
import {
  FileOwner,
  IModelFilesService,
  IModelVersion,
  IRegistryService
} from '../../tokens';
import { isObject } from './payload';

/**
 * A model version's example payload and the file it came from.
 */
export interface IServingExample {
  readonly payload: unknown;
  readonly path: string;
}

/**
 * What reading an example needs.
 */
export interface IExampleSources {
  readonly registry: IRegistryService;
  readonly files: IModelFilesService;
  /**
   * Where a version's model files are (the model view's rule), `null`
   * when its source does not say.
   */
  readonly location: (
    version: IModelVersion
  ) => { readonly owner: FileOwner; readonly root: string } | null;
}

/**
 * The files looked for, in order.
 */
export const EXAMPLE_FILES = [
  'serving_input_example.json',
  'input_example.json'
] as const;

/**
 * Read the example payload of a registered model version; `null` when it
 * was logged without one (or its files cannot be located).
 */
export async function loadServingExample(
  sources: IExampleSources,
  name: string,
  version: string
): Promise<IServingExample | null> {
  const modelVersion = await sources.registry.getModelVersion(name, version);
  const location = sources.location(modelVersion);
  if (!location) {
    return null;
  }
  for (const file of EXAMPLE_FILES) {
    const path = location.root ? `${location.root}/${file}` : file;
    let text: string;
    try {
      const result = await sources.files.fetchText({ ...location.owner, path });
      if (result.kind !== 'ok') {
        throw new Error(result.message);
      }
      text = result.value;
    } catch (reason) {
      if (reason instanceof TracksideRequestError && reason.status === 404) {
        continue;
      }
      throw reason;
    }
    const content: unknown = JSON.parse(text);
    return {
      payload:
        file === 'input_example.json' ? wrapInputExample(content) : content,
      path
    };
  }
  return null;
}

/**
 * A payload from a raw `input_example.json`: a pandas split
 * (`{columns, data}`) as `dataframe_split`, a list of records as
 * `dataframe_records`, anything else as `inputs`.
 */
export function wrapInputExample(example: unknown): Record<string, unknown> {
  if (
    isObject(example) &&
    Array.isArray(example.data) &&
    Array.isArray(example.columns)
  ) {
    return { dataframe_split: example };
  }
  if (Array.isArray(example) && example.length > 0 && example.every(isObject)) {
    return { dataframe_records: example };
  }
  return { inputs: example };
}

/**
 * Reads a model version's example payload; `null` when it has none.
 */
export type ExampleLoader = (
  name: string,
  version: string
) => Promise<IServingExample | null>;

/**
 * The example loader of the served models view: none without the Model
 * Registry and model files services.
 */
export function exampleLoader(sources: IExampleSources | null): ExampleLoader {
  return (name, version) =>
    sources
      ? loadServingExample(sources, name, version)
      : Promise.resolve(null);
}
