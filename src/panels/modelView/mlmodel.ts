/**
 * The `MLmodel` file of a MLflow model: a YAML mapping of its flavors,
 * signature, input example and size.
 */
import { parse as parseYaml } from 'yaml';
import { isRecord, ISignature, parseSignature } from './signature';

/**
 * A flavor of a model and the library versions it records.
 */
export interface IFlavor {
  /**
   * The flavor's name, e.g. `python_function` or `sklearn`.
   */
  readonly name: string;
  /**
   * `<library>_version` entries, e.g. `[['sklearn_version', '1.5.0']]`.
   */
  readonly versions: ReadonlyArray<readonly [string, string]>;
}

/**
 * Where the input example is and how it is encoded
 * (`saved_input_example_info`).
 */
export interface IInputExampleInfo {
  readonly path: string;
  /**
   * `dataframe`, `ndarray`, `json_object`, `sparse_matrix_csr`…
   */
  readonly type: string;
  /**
   * `split`, `values` or `records` for a dataframe.
   */
  readonly pandasOrient: string | null;
}

/**
 * The parts of a `MLmodel` file the model view shows.
 */
export interface IMLmodel {
  readonly flavors: ReadonlyArray<IFlavor>;
  readonly signature: ISignature | null;
  /**
   * Why the signature could not be read; `null` if it could.
   */
  readonly signatureError: string | null;
  readonly inputExample: IInputExampleInfo | null;
  readonly sizeBytes: number | null;
  readonly mlflowVersion: string | null;
  readonly modelId: string | null;
  readonly runId: string | null;
  readonly created: string | null;
}

/**
 * The name of the file that describes a MLflow model.
 */
export const MLMODEL_FILE = 'MLmodel';

/**
 * The pyfunc flavor, which every MLflow model loadable by
 * `mlflow.pyfunc.load_model` has.
 */
export const PYFUNC_FLAVOR = 'python_function';

/**
 * Parse an `MLmodel` file. Throws an `Error` when it is not a YAML
 * mapping.
 */
export function parseMLmodel(text: string): IMLmodel {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (reason) {
    throw new Error(
      `The MLmodel file is not valid YAML: ${(reason as Error).message}`
    );
  }
  if (!isRecord(raw)) {
    throw new Error('The MLmodel file is not a YAML mapping.');
  }
  let signature: ISignature | null = null;
  let signatureError: string | null = null;
  try {
    signature = parseSignature(raw.signature);
  } catch (reason) {
    signatureError = (reason as Error).message;
  }
  return {
    flavors: parseFlavors(raw.flavors),
    signature,
    signatureError,
    inputExample: parseExampleInfo(raw.saved_input_example_info),
    sizeBytes:
      typeof raw.model_size_bytes === 'number' ? raw.model_size_bytes : null,
    mlflowVersion: optionalText(raw.mlflow_version),
    modelId: optionalText(raw.model_id),
    runId: optionalText(raw.run_id),
    created: optionalText(raw.utc_time_created)
  };
}

function parseFlavors(value: unknown): IFlavor[] {
  if (!isRecord(value)) {
    return [];
  }
  return Object.entries(value).map(([name, config]) => ({
    name,
    versions: isRecord(config)
      ? Object.entries(config)
          .filter(
            ([key, version]) =>
              key.endsWith('_version') &&
              (typeof version === 'string' || typeof version === 'number')
          )
          .map(([key, version]) => [key, String(version)] as const)
      : []
  }));
}

function parseExampleInfo(value: unknown): IInputExampleInfo | null {
  if (!isRecord(value)) {
    return null;
  }
  return {
    path: optionalText(value.artifact_path) ?? 'input_example.json',
    type: optionalText(value.type) ?? '',
    pandasOrient: optionalText(value.pandas_orient)
  };
}

function optionalText(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') {
    return value;
  }
  return typeof value === 'number' ? String(value) : null;
}
