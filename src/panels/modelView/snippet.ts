/**
 * The Python snippet that loads a model: its URI, `mlflow.pyfunc` and the
 * native flavor's loader.
 */
import { IFlavor, PYFUNC_FLAVOR } from './mlmodel';

/**
 * Which model a snippet loads.
 */
export type ModelReference =
  | { readonly kind: 'alias'; readonly name: string; readonly alias: string }
  | {
      readonly kind: 'version';
      readonly name: string;
      readonly version: string;
    }
  | { readonly kind: 'loggedModel'; readonly modelId: string }
  | {
      readonly kind: 'runArtifact';
      readonly runId: string;
      readonly path: string;
    };

/**
 * The MLflow URI of a model: `models:/NAME@ALIAS`, `models:/NAME/VERSION`,
 * `models:/m-…` or `runs:/RUN/PATH`.
 */
export function modelUri(reference: ModelReference): string {
  switch (reference.kind) {
    case 'alias':
      return `models:/${reference.name}@${reference.alias}`;
    case 'version':
      return `models:/${reference.name}/${reference.version}`;
    case 'loggedModel':
      return `models:/${reference.modelId}`;
    case 'runArtifact':
      return `runs:/${reference.runId}/${reference.path.replace(/^\/+/, '')}`;
  }
}

/**
 * A Python string literal of `text`: JSON's escapes (`\"`, `\\`, `\n`,
 * `\uXXXX`) are Python's too.
 */
export function pythonString(text: string): string {
  return JSON.stringify(text);
}

/**
 * The native flavors a model can be loaded with besides pyfunc, as Python
 * loader calls (`mlflow.sklearn.load_model`), in the file's order.
 */
export function nativeLoaders(flavors: ReadonlyArray<IFlavor>): string[] {
  return flavors
    .map(flavor => flavor.name)
    .filter(name => name !== PYFUNC_FLAVOR && /^[a-z][a-z0-9_]*$/.test(name))
    .map(name => `mlflow.${name}.load_model`);
}

/**
 * The snippet that loads a model with `mlflow.pyfunc` and shows it; the
 * native loaders follow as comments (loading twice would cost time). A
 * model without the pyfunc flavor is loaded with its first native loader.
 */
export function loadSnippet(
  reference: ModelReference,
  flavors: ReadonlyArray<IFlavor>
): string {
  const natives = nativeLoaders(flavors);
  const hasPyfunc =
    flavors.length === 0 || flavors.some(f => f.name === PYFUNC_FLAVOR);
  const loader = hasPyfunc ? 'mlflow.pyfunc.load_model' : natives.shift();
  const lines = [
    'import mlflow',
    '',
    `model_uri = ${pythonString(modelUri(reference))}`,
    `model = ${loader}(model_uri)`,
    ...natives.map(native => `# native_model = ${native}(model_uri)`),
    'model'
  ];
  return lines.join('\n');
}
