import { IFlavor } from '../panels/modelView/mlmodel';
import {
  loadSnippet,
  modelUri,
  nativeLoaders,
  pythonString
} from '../panels/modelView/snippet';

const SKLEARN: IFlavor[] = [
  { name: 'python_function', versions: [] },
  { name: 'sklearn', versions: [['sklearn_version', '1.9.1']] }
];

describe('modelUri', () => {
  it('refers to an alias, a version, a logged model and a run path', () => {
    expect(modelUri({ kind: 'alias', name: 'iris', alias: 'champion' })).toBe(
      'models:/iris@champion'
    );
    expect(modelUri({ kind: 'version', name: 'iris', version: '2' })).toBe(
      'models:/iris/2'
    );
    expect(
      modelUri({ kind: 'loggedModel', modelId: 'm-0123456789abcdef' })
    ).toBe('models:/m-0123456789abcdef');
    expect(
      modelUri({ kind: 'runArtifact', runId: 'r1', path: '/sub/model' })
    ).toBe('runs:/r1/sub/model');
  });
});

describe('loadSnippet', () => {
  it('loads by alias with pyfunc and names the native loader', () => {
    expect(
      loadSnippet({ kind: 'alias', name: 'iris', alias: 'champion' }, SKLEARN)
    ).toBe(
      [
        'import mlflow',
        '',
        'model_uri = "models:/iris@champion"',
        'model = mlflow.pyfunc.load_model(model_uri)',
        '# native_model = mlflow.sklearn.load_model(model_uri)',
        'model'
      ].join('\n')
    );
  });

  it('loads a version, a logged model and a run model', () => {
    expect(
      loadSnippet({ kind: 'version', name: 'iris', version: '3' }, SKLEARN)
    ).toContain('model_uri = "models:/iris/3"');
    expect(
      loadSnippet({ kind: 'loggedModel', modelId: 'm-abc' }, SKLEARN)
    ).toContain('model_uri = "models:/m-abc"');
    expect(
      loadSnippet({ kind: 'runArtifact', runId: 'r1', path: 'model' }, [])
    ).toContain('model = mlflow.pyfunc.load_model(model_uri)');
  });

  it('escapes quotes, backslashes and new lines in names', () => {
    const snippet = loadSnippet(
      { kind: 'version', name: 'my "best" \\ model\nx', version: '1' },
      SKLEARN
    );
    expect(snippet).toContain(
      'model_uri = "models:/my \\"best\\" \\\\ model\\nx/1"'
    );
    // One line per statement: the name cannot break out of the string.
    expect(snippet.split('\n')).toHaveLength(6);
  });

  it('loads a model without pyfunc with its native flavor', () => {
    const snippet = loadSnippet({ kind: 'loggedModel', modelId: 'm-1' }, [
      { name: 'pytorch', versions: [] },
      { name: 'onnx', versions: [] }
    ]);
    expect(snippet).toContain('model = mlflow.pytorch.load_model(model_uri)');
    expect(snippet).toContain(
      '# native_model = mlflow.onnx.load_model(model_uri)'
    );
    expect(snippet).not.toContain('pyfunc');
  });
});

describe('snippet helpers', () => {
  it('lists native loaders, skipping pyfunc and odd flavor names', () => {
    expect(
      nativeLoaders([
        ...SKLEARN,
        { name: 'xgboost', versions: [] },
        { name: 'bad name(); import os', versions: [] }
      ])
    ).toEqual(['mlflow.sklearn.load_model', 'mlflow.xgboost.load_model']);
  });

  it('writes Python string literals', () => {
    expect(pythonString('a"b')).toBe('"a\\"b"');
    expect(pythonString('é')).toBe('"é"');
  });
});
