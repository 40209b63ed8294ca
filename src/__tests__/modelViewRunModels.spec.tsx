import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import { TracksideModel } from '../models/tracksideModel';
import { RunDetailBody } from '../panels/runDetail/body';
import { RunDetailModel } from '../panels/runDetail/model';
import { ModelFilesClient } from '../services/modelFilesClient';
import {
  IArtifactList,
  IBackendStatus,
  IRun,
  ITracksideService,
  ModelCommandIDs
} from '../tokens';
import { FakeServer, json, waitFor } from './fakeServer';

const XSS = '<img src=x onerror=alert(1)>';
const MODEL_ID = 'm-0123456789abcdef0123456789abcdef';

const RUN: IRun = {
  info: {
    run_id: 'r1',
    run_name: 'train',
    experiment_id: '7',
    status: 'FINISHED',
    start_time: 1,
    end_time: 2,
    lifecycle_stage: 'active',
    artifact_uri: 'mlflow-artifacts:/7/r1/artifacts',
    user_id: 'ada'
  },
  data: {
    metrics: [],
    params: [],
    tags: [
      { key: 'trackside.notebook', value: 'train.ipynb' },
      { key: 'trackside.cell_source', value: 'trackside/cells/0003-c1.py' }
    ]
  }
};

// Run artifacts: a model at the first level (`skl`), one a level below
// (`old/model`), one too deep to look for, and other folders.
const TREE: Record<string, IArtifactList['files']> = {
  '': [
    { path: 'skl', is_dir: true, file_size: null },
    { path: 'old', is_dir: true, file_size: null },
    { path: 'trackside', is_dir: true, file_size: null },
    { path: 'notes.txt', is_dir: false, file_size: 5 }
  ],
  skl: [{ path: 'skl/MLmodel', is_dir: false, file_size: 300 }],
  old: [{ path: 'old/model', is_dir: true, file_size: null }],
  'old/model': [{ path: 'old/model/MLmodel', is_dir: false, file_size: 300 }],
  trackside: [{ path: 'trackside/cells', is_dir: true, file_size: null }],
  'trackside/cells': [
    { path: 'trackside/cells/deep', is_dir: true, file_size: null }
  ]
};

function tracking(capabilities: IBackendStatus['capabilities']) {
  const listed: string[] = [];
  const service = {
    listed,
    status: async () => ({
      tracking_uri: '',
      mode: 'embedded',
      healthy: true,
      mlflow_version: '3.17.2',
      state: 'ready',
      message: null,
      capabilities
    }),
    getRun: async () => RUN,
    listArtifacts: async (_: string, path = '') => {
      listed.push(path);
      return { root_uri: '', files: TREE[path] ?? [], nextPageToken: null };
    }
  };
  return service as unknown as ITracksideService & { listed: string[] };
}

function filesServer(): FakeServer {
  return new FakeServer(request => {
    if (request.endpoint === 'mlflow/logged-models/search') {
      return json({
        models: [
          {
            info: {
              model_id: MODEL_ID,
              experiment_id: '7',
              name: XSS,
              source_run_id: 'r1',
              status: 'LOGGED_MODEL_READY'
            }
          }
        ]
      });
    }
    if (request.endpoint === 'artifacts/file') {
      return new Response('x = 1  # the cell\n');
    }
    return json({ files: [] });
  });
}

describe('Run detail: logged models', () => {
  let widget: Widget | null = null;

  afterEach(() => {
    widget?.dispose();
    widget = null;
  });

  async function open(capabilities: IBackendStatus['capabilities']) {
    const service = tracking(capabilities);
    const connection = new TracksideModel({ service, isActive: true });
    await connection.updateStatus();
    const server = filesServer();
    const commands = new CommandRegistry();
    const registered: unknown[] = [];
    commands.addCommand(ModelCommandIDs.register, {
      execute: args => {
        registered.push(args);
        return { name: 'iris', version: '4' };
      }
    });
    const model = new RunDetailModel({
      connection,
      experimentId: '7',
      runId: 'r1',
      modelFiles: new ModelFilesClient({
        serverSettings: server.serverSettings
      })
    });
    widget = new RunDetailBody({
      model,
      services: { commands, translator: nullTranslator },
      translator: nullTranslator
    });
    Widget.attach(widget, document.body);
    await waitFor(
      () => model.loggedModels !== null && model.artifactModels !== null
    );
    const node = widget.node;
    await waitFor(
      () =>
        node.querySelector('ul[aria-label="Logged models"]')?.children
          .length === 3
    );
    return { service, connection, server, model, node, registered };
  }

  it('lists logged models and MLmodel folders one level deep', async () => {
    const { service, server, model, node } = await open(null);
    expect(server.requestsTo('mlflow/logged-models/search')[0].body).toEqual({
      experiment_ids: ['7'],
      filter: "source_run_id = 'r1'",
      max_results: 100
    });
    expect(model.artifactModels).toEqual(['skl', 'old/model']);
    // The root, each first-level folder, and one level below: never deeper.
    expect(service.listed).not.toContain('trackside/cells/deep');
    const items = Array.from(
      node.querySelectorAll('ul[aria-label="Logged models"] > li')
    ).map(li => li.querySelector('button')?.textContent);
    expect(items).toEqual([XSS, 'skl', 'old/model']);
    expect(node.querySelector('img')).toBeNull();
    // Without the registry-write capability: no Register.
    expect(node.querySelector('.jp-Trackside-RegisterButton')).toBeNull();
  });

  it('opens the model views', async () => {
    const { connection, node } = await open(null);
    const buttons = node.querySelectorAll<HTMLButtonElement>(
      'ul[aria-label="Logged models"] > li > button'
    );
    buttons[0].click();
    expect(connection.view).toEqual({
      kind: 'loggedModel',
      modelId: MODEL_ID,
      runId: 'r1'
    });
  });

  it('registers a logged model and an artifact model, then shows the version', async () => {
    const { connection, node, registered } = await open({
      registry_write: true,
      serving: false
    });
    const register = () =>
      node.querySelectorAll<HTMLButtonElement>('.jp-Trackside-RegisterButton');
    expect(register()).toHaveLength(3);
    register()[0].click();
    await waitFor(() => connection.view.kind === 'modelVersion');
    expect(registered[0]).toEqual({
      source: `models:/${MODEL_ID}`,
      modelId: MODEL_ID,
      runId: 'r1',
      label: XSS
    });
    expect(connection.view).toEqual({
      kind: 'modelVersion',
      name: 'iris',
      version: '4'
    });
    register()[2].click();
    await waitFor(() => registered.length === 2);
    expect(registered[1]).toEqual({
      source: 'runs:/r1/old/model',
      runId: 'r1',
      label: 'old/model'
    });
  });

  it("previews the cell's source Trackside recorded", async () => {
    const { node, server } = await open(null);
    const toggle = Array.from(node.querySelectorAll('button')).find(
      button => button.textContent === 'Show the cell source'
    )!;
    toggle.click();
    await waitFor(
      () =>
        node.querySelector(
          '[aria-label="Preview of trackside/cells/0003-c1.py"] pre'
        )?.textContent === 'x = 1  # the cell\n'
    );
    expect(server.requestsTo('artifacts/file')[0].query).toEqual({
      run_id: 'r1',
      path: 'trackside/cells/0003-c1.py'
    });
  });
});
