import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { TracksideModel } from '../models/tracksideModel';
import { ModelViewBody } from '../panels/modelView/body';
import { ModelViewModel } from '../panels/modelView/model';
import { versionLocation } from '../panels/modelView/location';
import { ModelFilesClient } from '../services/modelFilesClient';
import {
  IBackendStatus,
  IModelVersion,
  IRegistryService,
  ITracksideService
} from '../tokens';
import { FakeServer, json, IRecordedRequest, waitFor } from './fakeServer';

const XSS = '<img src=x onerror=alert(1)>';
const MODEL_ID = 'm-b14d185d0c614d6ab879938553ca42cf';

const MLMODEL = `flavors:
  python_function:
    loader_module: mlflow.sklearn
    python_version: 3.11.7
  sklearn:
    sklearn_version: 1.9.1
model_size_bytes: 4096
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "${XSS}", "required": true}, {"type": "string", "name": "note", "required": false}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]'
`;

/**
 * The Trackside API of one logged model (and one run model below
 * `runs/r1/artifacts/old`), as the server extension answers it.
 */
function modelServer(files: Record<string, string>): FakeServer {
  return new FakeServer((request: IRecordedRequest) => {
    switch (request.endpoint) {
      case 'mlflow/logged-models/get':
        return request.query.model_id === MODEL_ID
          ? json({
              model: {
                info: {
                  model_id: MODEL_ID,
                  experiment_id: '7',
                  name: XSS,
                  status: 'LOGGED_MODEL_READY',
                  source_run_id: 'r1',
                  creation_timestamp_ms: '1796257256352'
                },
                data: {}
              }
            })
          : json(
              {
                error_code: 'RESOURCE_DOES_NOT_EXIST',
                message: `Logged model with ID '${request.query.model_id}' not found`
              },
              404
            );
      case 'artifacts/model-list':
      case 'mlflow/artifacts/list':
        return json({
          files: Object.keys(files).map(path => ({
            path,
            is_dir: false,
            file_size: files[path].length
          }))
        });
      case 'artifacts/file': {
        const name = request.query.path.split('/').pop()!;
        return name in files
          ? new Response(files[name])
          : json(
              { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'No file' },
              404
            );
      }
      default:
        return json({ error_code: 'ENDPOINT_NOT_FOUND', message: '?' }, 404);
    }
  });
}

const FILES = {
  MLmodel: MLMODEL,
  'input_example.json': JSON.stringify({
    columns: [XSS, 'note'],
    data: [[5.1, 'a']]
  }),
  'requirements.txt': 'mlflow==3.17.2\n# a comment\nscikit-learn==1.9.1\n'
};

function connection(capabilities: IBackendStatus['capabilities']) {
  const service = {
    status: async () =>
      ({
        tracking_uri: 'http://127.0.0.1:5000',
        mode: 'embedded',
        healthy: true,
        mlflow_version: '3.17.2',
        state: 'ready',
        message: null,
        capabilities
      }) as IBackendStatus,
    getRun: async (runId: string) => ({
      info: { run_id: runId, experiment_id: '7' },
      data: { metrics: [], params: [], tags: [] }
    })
  } as unknown as ITracksideService;
  return new TracksideModel({ service, isActive: true });
}

function version(overrides: Partial<IModelVersion>): IModelVersion {
  return {
    name: 'iris',
    version: '2',
    creation_timestamp: null,
    last_updated_timestamp: null,
    user_id: '',
    current_stage: 'None',
    description: '',
    source: `models:/${MODEL_ID}`,
    run_id: 'r1',
    model_id: null,
    status: 'READY',
    status_message: '',
    tags: [],
    aliases: [{ alias: 'champion', version: '2' }],
    ...overrides
  };
}

function registry(answer: IModelVersion): IRegistryService {
  return {
    getModelVersion: async () => answer
  } as unknown as IRegistryService;
}

async function settled(model: ModelViewModel): Promise<void> {
  await waitFor(
    () =>
      model.error !== null ||
      (model.mlmodel.status !== 'loading' &&
        model.inputExample.status !== 'loading' &&
        model.requirements.status !== 'loading' &&
        model.size.status !== 'loading')
  );
}

describe('ModelViewModel', () => {
  it('loads a logged model: MLmodel, example, requirements, size', async () => {
    const server = modelServer(FILES);
    const conn = connection({ registry_write: true, serving: false });
    await conn.updateStatus();
    const model = new ModelViewModel({
      target: { kind: 'loggedModel', modelId: MODEL_ID, runId: 'r1' },
      connection: conn,
      files: new ModelFilesClient({ serverSettings: server.serverSettings }),
      registry: registry(version({}))
    });
    const changes: string[] = [];
    model.changed.connect(() => changes.push(model.mlmodel.status));
    expect(model.mlmodel.status).toBe('loading');
    await settled(model);

    expect(model.error).toBeNull();
    expect(model.loggedModel?.name).toBe(XSS);
    expect(model.loggedModel?.creation_timestamp_ms).toBe(1796257256352);
    expect(model.location).toEqual({ owner: { modelId: MODEL_ID }, root: '' });
    expect(changes[0]).toBe('loading');
    expect(changes[changes.length - 1]).toBe('ready');
    const mlmodel =
      model.mlmodel.status === 'ready' ? model.mlmodel.value : null;
    expect(mlmodel?.flavors.map(f => f.name)).toEqual([
      'python_function',
      'sklearn'
    ]);
    expect(model.inputExample).toEqual({
      status: 'ready',
      value: { columns: [XSS, 'note'], rows: [['5.1', 'a']], totalRows: 1 }
    });
    expect(model.requirements.status).toBe('ready');
    expect(model.size).toEqual({ status: 'ready', value: 4096 });
    expect(model.canRegister).toBe(true);
    expect(model.registrationSource()).toEqual({
      source: `models:/${MODEL_ID}`,
      modelId: MODEL_ID,
      runId: 'r1'
    });
    expect(model.snippet(model.references[0])).toContain(
      `model_uri = "models:/${MODEL_ID}"`
    );
    expect(
      server.requestsTo('artifacts/file').map(r => r.query)
    ).toContainEqual({ model_id: MODEL_ID, path: 'MLmodel' });
    model.dispose();
  });

  it('hides Register without the registry-write capability', async () => {
    const server = modelServer(FILES);
    const conn = connection(null);
    await conn.updateStatus();
    const model = new ModelViewModel({
      target: { kind: 'loggedModel', modelId: MODEL_ID },
      connection: conn,
      files: new ModelFilesClient({ serverSettings: server.serverSettings }),
      registry: registry(version({}))
    });
    await settled(model);
    expect(model.canRegister).toBe(false);
    model.dispose();
  });

  it('resolves a version to its files and offers its aliases', async () => {
    const server = modelServer(FILES);
    const model = new ModelViewModel({
      target: { kind: 'modelVersion', name: 'iris', version: '2' },
      connection: connection({ registry_write: true, serving: true }),
      files: new ModelFilesClient({ serverSettings: server.serverSettings }),
      registry: registry(version({}))
    });
    await settled(model);
    expect(model.version?.source).toBe(`models:/${MODEL_ID}`);
    expect(model.location?.owner).toEqual({ modelId: MODEL_ID });
    expect(model.references).toEqual([
      { kind: 'version', name: 'iris', version: '2' },
      { kind: 'alias', name: 'iris', alias: 'champion' }
    ]);
    // A registered version is not registered again.
    expect(model.canRegister).toBe(false);
    model.dispose();
  });

  it('sums the files when MLflow did not record the size; no MLmodel is said', async () => {
    const server = modelServer({ 'notes.txt': 'hello', 'b.bin': '12345678' });
    const model = new ModelViewModel({
      target: { kind: 'runArtifactModel', runId: 'r1', path: 'old' },
      connection: connection(null),
      files: new ModelFilesClient({ serverSettings: server.serverSettings })
    });
    await settled(model);
    expect(model.mlmodel).toEqual({ status: 'missing' });
    expect(model.inputExample).toEqual({ status: 'missing' });
    expect(model.requirements).toEqual({ status: 'missing' });
    expect(model.size).toEqual({ status: 'ready', value: 13 });
    expect(server.requestsTo('artifacts/file')[0].query).toEqual({
      run_id: 'r1',
      path: 'old/MLmodel'
    });
    expect(model.registrationSource()).toEqual({
      source: 'runs:/r1/old',
      runId: 'r1'
    });
    model.dispose();
  });

  it("shows MLflow's error when the model does not exist", async () => {
    const server = modelServer(FILES);
    const model = new ModelViewModel({
      target: { kind: 'loggedModel', modelId: 'm-missing' },
      connection: connection(null),
      files: new ModelFilesClient({ serverSettings: server.serverSettings })
    });
    await settled(model);
    expect(model.error).toBe("Logged model with ID 'm-missing' not found");
    expect(model.location).toBeNull();
    expect(model.files).toBeNull();
    model.dispose();
  });

  it('renders signature and example as text', async () => {
    const server = modelServer(FILES);
    const model = new ModelViewModel({
      target: { kind: 'loggedModel', modelId: MODEL_ID },
      connection: connection(null),
      files: new ModelFilesClient({ serverSettings: server.serverSettings })
    });
    const body = new ModelViewBody({
      model,
      services: { commands: null, languages: null, serving: null },
      translator: nullTranslator
    });
    Widget.attach(body, document.body);
    await settled(model);
    await waitFor(
      () =>
        body.node.querySelector('table[aria-label="Input example"]') !== null
    );
    const node = body.node;
    expect(node.querySelector('h3')?.textContent).toBe(XSS);
    expect(node.querySelector('img')).toBeNull();
    const inputs = node.querySelector('table[aria-label="Inputs"]')!;
    expect(
      Array.from(inputs.querySelectorAll('tbody tr')).map(row =>
        Array.from(row.children).map(cell => cell.textContent)
      )
    ).toEqual([
      [XSS, 'double', 'required'],
      ['note', 'string', 'optional']
    ]);
    const outputs = node.querySelector('table[aria-label="Outputs"]')!;
    expect(outputs.querySelector('tbody tr')?.textContent).toContain('(-1, 3)');
    const example = node.querySelector('table[aria-label="Input example"]')!;
    expect(example.querySelector('th')?.textContent).toBe(XSS);
    expect(node.textContent).toContain('scikit-learn==1.9.1');
    expect(node.textContent).not.toContain('# a comment');
    expect(node.textContent).toContain('4.1 kB');
    expect(node.querySelector('.jp-Trackside-RegisterButton')).toBeNull();
    expect(node.textContent).toContain(
      'Read-only: this Jupyter server does not allow registry writes.'
    );
    body.dispose();
    expect(model.isDisposed).toBe(true);
  });
});

describe('versionLocation', () => {
  it('finds the files from model_id, models:/, runs:/ or the artifact URI', () => {
    const base = { run_id: 'r9', model_id: null };
    expect(versionLocation({ ...base, source: 'x', model_id: 'm-1' })).toEqual({
      owner: { modelId: 'm-1' },
      root: ''
    });
    expect(versionLocation({ ...base, source: 'models:/m-abc' })).toEqual({
      owner: { modelId: 'm-abc' },
      root: ''
    });
    expect(versionLocation({ ...base, source: 'runs:/r9/sub/model' })).toEqual({
      owner: { runId: 'r9' },
      root: 'sub/model'
    });
    expect(
      versionLocation({
        ...base,
        source: 'mlflow-artifacts:/1/r9/artifacts/model'
      })
    ).toEqual({ owner: { runId: 'r9' }, root: 'model' });
    expect(versionLocation({ ...base, source: 's3://bucket/x' })).toBeNull();
  });
});
