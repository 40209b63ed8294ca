import { parseMLmodel } from '../panels/modelView/mlmodel';
import {
  parseSignature,
  shapeText,
  typeText
} from '../panels/modelView/signature';

// An MLmodel as MLflow 3.17 writes it for a sklearn model with an input
// example (the signature parts are JSON strings inside the YAML).
const SKLEARN_MLMODEL = `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.skops
    predict_fn: predict
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.skops
    serialization_format: skops
    sklearn_version: 1.9.1
mlflow_version: 3.17.2
model_id: m-b14d185d0c614d6ab879938553ca42cf
model_size_bytes: 11634
run_id: cec4fb9c35e74c088920c997b6d7918c
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  serving_input_path: serving_input_example.json
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type":
    "string", "name": "note", "required": false}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
utc_time_created: '2026-12-03 00:20:56.573304'
`;

describe('parseMLmodel', () => {
  it('reads flavors with their versions, size, ids and the example info', () => {
    const mlmodel = parseMLmodel(SKLEARN_MLMODEL);
    expect(mlmodel.flavors.map(f => f.name)).toEqual([
      'python_function',
      'sklearn'
    ]);
    expect(mlmodel.flavors[0].versions).toEqual([['python_version', '3.11.7']]);
    expect(mlmodel.flavors[1].versions).toEqual([['sklearn_version', '1.9.1']]);
    expect(mlmodel.sizeBytes).toBe(11634);
    expect(mlmodel.mlflowVersion).toBe('3.17.2');
    expect(mlmodel.modelId).toBe('m-b14d185d0c614d6ab879938553ca42cf');
    expect(mlmodel.inputExample).toEqual({
      path: 'input_example.json',
      type: 'dataframe',
      pandasOrient: 'split'
    });
  });

  it('reads column specs, with required and optional columns', () => {
    const signature = parseMLmodel(SKLEARN_MLMODEL).signature!;
    expect(signature.inputs).toEqual([
      {
        kind: 'column',
        name: 'sepal length (cm)',
        type: 'double',
        required: true,
        shape: null
      },
      {
        kind: 'column',
        name: 'note',
        type: 'string',
        required: false,
        shape: null
      }
    ]);
    expect(signature.outputs).toEqual([
      { kind: 'column', name: null, type: 'long', required: true, shape: null }
    ]);
    expect(signature.params).toBeNull();
  });

  it('has no signature when the MLmodel has none', () => {
    const mlmodel = parseMLmodel(
      'flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n'
    );
    expect(mlmodel.signature).toBeNull();
    expect(mlmodel.signatureError).toBeNull();
    expect(mlmodel.inputExample).toBeNull();
    expect(mlmodel.sizeBytes).toBeNull();
  });

  it('says which signature part is not valid JSON', () => {
    const mlmodel = parseMLmodel(
      'flavors: {}\nsignature:\n  inputs: \'[{"type": \'\n'
    );
    expect(mlmodel.signature).toBeNull();
    expect(mlmodel.signatureError).toBe(
      "The signature's inputs are not valid JSON."
    );
  });

  it('rejects a file that is not a YAML mapping', () => {
    expect(() => parseMLmodel('- a\n- b\n')).toThrow(
      'The MLmodel file is not a YAML mapping.'
    );
    expect(() => parseMLmodel('flavors: [unclosed\n')).toThrow(
      /not valid YAML/
    );
  });
});

describe('parseSignature', () => {
  it('reads tensor specs with their dtype and shape', () => {
    const signature = parseSignature({
      inputs: JSON.stringify([
        {
          type: 'tensor',
          'tensor-spec': { dtype: 'float32', shape: [-1, 28, 28] },
          name: 'images'
        }
      ]),
      outputs: JSON.stringify([
        { type: 'tensor', 'tensor-spec': { dtype: 'float64', shape: [-1] } }
      ])
    })!;
    expect(signature.inputs).toEqual([
      {
        kind: 'tensor',
        name: 'images',
        type: 'float32',
        required: true,
        shape: [-1, 28, 28]
      }
    ]);
    expect(shapeText(signature.inputs![0].shape!)).toBe('(-1, 28, 28)');
    expect(shapeText(signature.outputs![0].shape!)).toBe('(-1,)');
  });

  it('spells out array, object and map column types', () => {
    expect(typeText({ type: 'array', items: { type: 'double' } })).toBe(
      'array<double>'
    );
    expect(
      typeText({
        type: 'object',
        properties: {
          a: { type: 'long', required: true },
          b: { type: 'string', required: false }
        }
      })
    ).toBe('object{a: long, b?: string}');
    expect(typeText({ type: 'map', values: { type: 'double' } })).toBe(
      'map<string, double>'
    );
  });

  it('reads inference params with defaults and shapes', () => {
    const signature = parseSignature({
      inputs: '[{"type": "string"}]',
      params: JSON.stringify([
        { name: 'temperature', type: 'double', default: 0.5, shape: null },
        { name: 'ids', type: 'long', default: [1, 2], shape: [-1] }
      ])
    })!;
    expect(signature.params).toEqual([
      { name: 'temperature', type: 'double', default: '0.5', shape: null },
      { name: 'ids', type: 'long', default: '[1,2]', shape: [-1] }
    ]);
  });

  it('is null for a missing or empty signature', () => {
    expect(parseSignature(undefined)).toBeNull();
    expect(parseSignature(null)).toBeNull();
    expect(parseSignature({ inputs: null, outputs: null })).toBeNull();
  });
});
