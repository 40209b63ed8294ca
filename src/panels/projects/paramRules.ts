import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { IProjectParameter, ProjectParameterType } from '../../tokens';

/**
 * Check one value against its parameter type, with the rules of the
 * server's `trackside/projects/values.py` (`value_problem`): `int` is an
 * optional sign and digits; `float` a plain decimal number, finite (no
 * spaces, underscores, nan or inf); `uri` needs a scheme; `string` and
 * `path` are any non-empty string. Values are never evaluated.
 *
 * @returns what is wrong ("must be an integer…"), translated; `null` when
 * the value is valid.
 */
export function checkParameterValue(
  type: ProjectParameterType,
  value: string,
  trans: TranslationBundle = nullTranslator.load('jupyterlab_trackside')
): string | null {
  if (value === '') {
    return trans.__('is empty');
  }
  switch (type) {
    case 'int':
      return Private.INT.test(value)
        ? null
        : trans.__('must be an integer, e.g. 100');
    case 'float':
      return Private.FLOAT.test(value) && Number.isFinite(Number(value))
        ? null
        : trans.__('must be a finite number, e.g. 0.5 or 1e-3');
    case 'uri':
      return Private.URI.test(value)
        ? null
        : trans.__('must be a URI with a scheme (s3://, https://, file://…)');
    default:
      return null;
  }
}

/**
 * What is wrong with each value of an entry point's form, by parameter
 * name (no entry when the value is valid).
 */
export function checkParameters(
  parameters: ReadonlyArray<IProjectParameter>,
  values: Readonly<Record<string, string>>,
  trans?: TranslationBundle
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const parameter of parameters) {
    const problem = checkParameterValue(
      parameter.type,
      values[parameter.name] ?? '',
      trans
    );
    if (problem !== null) {
      errors[parameter.name] = problem;
    }
  }
  return errors;
}

/**
 * The HTML input attributes that fit a parameter type (the validation
 * itself is `checkParameterValue`).
 */
export function inputAttributes(type: ProjectParameterType): {
  inputMode: 'numeric' | 'decimal' | 'url' | 'text';
  spellCheck: boolean;
} {
  switch (type) {
    case 'int':
      return { inputMode: 'numeric', spellCheck: false };
    case 'float':
      return { inputMode: 'decimal', spellCheck: false };
    case 'uri':
      return { inputMode: 'url', spellCheck: false };
    case 'path':
      return { inputMode: 'text', spellCheck: false };
    default:
      return { inputMode: 'text', spellCheck: true };
  }
}

namespace Private {
  export const INT = /^[+-]?[0-9]+$/;
  export const FLOAT =
    /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
  // MLflow's uri type needs a scheme (mlflow.utils.data_utils.is_uri).
  export const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[\s\S]+$/;
}
