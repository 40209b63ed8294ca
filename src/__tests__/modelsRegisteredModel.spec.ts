import { TracksideModel } from '../models/tracksideModel';
import { TracksideClient } from '../services/client';
import { RegistryClient } from '../services/registryClient';
import { RegisteredModelModel } from '../panels/models/registeredModelModel';
import {
  FakeServer,
  HEALTHY_STATUS,
  IRecordedRequest,
  json,
  sleep,
  waitFor
} from './fakeServer';

/**
 * A registry holding `iris` with versions 1 and 2, applying the writes it
 * receives so that a refresh shows them; the status grants `writes`. Like
 * MLflow's, its version search leaves the aliases out: only the registered
 * model lists them.
 */
function irisRegistry(writes: boolean) {
  const state = {
    description: 'Irises',
    tags: [] as { key: string; value: string }[],
    aliases: [] as { alias: string; version: string }[],
    versions: ['1', '2']
  };
  const version = (v: string) => ({
    name: 'iris',
    version: v,
    run_id: `run-${v}`,
    status: 'READY',
    current_stage: 'None'
  });
  const handler = (request: IRecordedRequest): Response => {
    const body = (request.body ?? {}) as Record<string, string>;
    switch (`${request.method} ${request.endpoint}`) {
      case 'GET status':
        return json({
          ...HEALTHY_STATUS,
          capabilities: { registry_write: writes, serving: false }
        });
      case 'GET mlflow/registered-models/get':
        return json({
          registered_model: {
            name: 'iris',
            description: state.description,
            tags: state.tags,
            aliases: state.aliases
          }
        });
      case 'GET mlflow/model-versions/search':
        return json({
          model_versions: [...state.versions].reverse().map(version)
        });
      case 'GET mlflow/runs/get':
        return json({
          run: { info: { run_id: request.query.run_id, experiment_id: '7' } }
        });
      case 'PATCH registry/registered-models/update':
        state.description = body.description;
        return json({ registered_model: { name: 'iris' } });
      case 'POST registry/registered-models/set-tag':
        state.tags = [
          ...state.tags.filter(t => t.key !== body.key),
          { key: body.key, value: body.value }
        ];
        return json({});
      case 'DELETE registry/registered-models/delete-tag':
        state.tags = state.tags.filter(t => t.key !== body.key);
        return json({});
      case 'POST registry/registered-models/alias':
        if (body.alias === 'latest') {
          return json(
            {
              error_code: 'INVALID_PARAMETER_VALUE',
              message: "'latest' alias name (case insensitive) is reserved."
            },
            400
          );
        }
        state.aliases = [
          ...state.aliases.filter(a => a.alias !== body.alias),
          { alias: body.alias, version: body.version }
        ];
        return json({});
      case 'DELETE registry/registered-models/alias':
        state.aliases = state.aliases.filter(a => a.alias !== body.alias);
        return json({});
      case 'DELETE registry/model-versions/delete':
        state.versions = state.versions.filter(v => v !== body.version);
        return json({});
      case 'PATCH registry/model-versions/update':
      case 'POST registry/model-versions/set-tag':
      case 'DELETE registry/model-versions/delete-tag':
        return json({ model_version: version(body.version) });
      default:
        return json({ error_code: 'ENDPOINT_NOT_FOUND', message: 'no' }, 404);
    }
  };
  return { state, handler };
}

describe('RegisteredModelModel', () => {
  let server: FakeServer;
  let connection: TracksideModel;
  let model: RegisteredModelModel;

  function create(writes: boolean): void {
    server = new FakeServer(irisRegistry(writes).handler);
    connection = new TracksideModel({
      service: new TracksideClient({ serverSettings: server.serverSettings }),
      isActive: true
    });
    model = new RegisteredModelModel({
      name: 'iris',
      connection,
      registry: new RegistryClient({ serverSettings: server.serverSettings })
    });
  }

  afterEach(() => {
    model.dispose();
    connection.dispose();
  });

  it('loads the model and its versions, newest first', async () => {
    create(true);
    await waitFor(() => model.versions !== null);
    expect(model.model?.description).toBe('Irises');
    expect(model.versions?.map(v => v.version)).toEqual(['2', '1']);
    const [search] = server.requestsTo('mlflow/model-versions/search');
    expect(search.query).toMatchObject({
      filter: "name = 'iris'",
      order_by: 'version_number DESC'
    });
  });

  it('can write only when the status says so', async () => {
    create(true);
    expect(model.canWrite).toBe(false);
    let changes = 0;
    model.changed.connect(() => changes++);
    await connection.updateStatus();
    expect(model.canWrite).toBe(true);
    expect(changes).toBeGreaterThan(0);
    model.dispose();
    connection.dispose();

    create(false);
    await connection.updateStatus();
    expect(model.canWrite).toBe(false);
  });

  it('sends each write to its operation, then shows the new state', async () => {
    create(true);
    await waitFor(() => model.versions !== null);

    await model.setAlias('champion', '2');
    expect(model.model?.aliases).toEqual([{ alias: 'champion', version: '2' }]);
    expect(model.versions?.[0].aliases).toEqual([
      { alias: 'champion', version: '2' }
    ]);
    // Moving the alias.
    await model.setAlias('champion', '1');
    expect(model.versions?.[1].aliases).toEqual([
      { alias: 'champion', version: '1' }
    ]);
    await model.deleteAlias('champion');
    expect(model.model?.aliases).toEqual([]);

    await model.updateDescription('New <b>text</b>');
    expect(model.model?.description).toBe('New <b>text</b>');
    await model.setTag('team', 'ml');
    expect(model.model?.tags).toEqual([{ key: 'team', value: 'ml' }]);
    await model.deleteTag('team');
    expect(model.model?.tags).toEqual([]);

    await model.updateVersionDescription('1', 'first');
    await model.setVersionTag('1', 'k', 'v');
    await model.deleteVersionTag('1', 'k');
    await model.deleteVersion('1');
    expect(model.versions?.map(v => v.version)).toEqual(['2']);

    const writes = server.requests
      .filter(r => r.endpoint.startsWith('registry/'))
      .map(r => [r.method, r.endpoint, r.body]);
    expect(writes).toEqual([
      [
        'POST',
        'registry/registered-models/alias',
        { name: 'iris', alias: 'champion', version: '2' }
      ],
      [
        'POST',
        'registry/registered-models/alias',
        { name: 'iris', alias: 'champion', version: '1' }
      ],
      [
        'DELETE',
        'registry/registered-models/alias',
        { name: 'iris', alias: 'champion' }
      ],
      [
        'PATCH',
        'registry/registered-models/update',
        { name: 'iris', description: 'New <b>text</b>' }
      ],
      [
        'POST',
        'registry/registered-models/set-tag',
        { name: 'iris', key: 'team', value: 'ml' }
      ],
      [
        'DELETE',
        'registry/registered-models/delete-tag',
        { name: 'iris', key: 'team' }
      ],
      [
        'PATCH',
        'registry/model-versions/update',
        { name: 'iris', version: '1', description: 'first' }
      ],
      [
        'POST',
        'registry/model-versions/set-tag',
        { name: 'iris', version: '1', key: 'k', value: 'v' }
      ],
      [
        'DELETE',
        'registry/model-versions/delete-tag',
        { name: 'iris', version: '1', key: 'k' }
      ],
      [
        'DELETE',
        'registry/model-versions/delete',
        { name: 'iris', version: '1' }
      ]
    ]);
  });

  it("rejects a refused write with MLflow's message, without refreshing", async () => {
    create(true);
    await waitFor(() => model.versions !== null);
    const reads = server.requestsTo('mlflow/registered-models/get').length;
    await expect(model.setAlias('latest', '1')).rejects.toThrow(
      "'latest' alias name (case insensitive) is reserved."
    );
    expect(server.requestsTo('mlflow/registered-models/get')).toHaveLength(
      reads
    );
    expect(model.error).toBeNull();
  });

  it("opens a version, and a version's run in its experiment", async () => {
    create(true);
    await waitFor(() => model.versions !== null);
    model.showVersion('2');
    expect(connection.view).toEqual({
      kind: 'modelVersion',
      name: 'iris',
      version: '2'
    });
    await model.showRun('run-2');
    expect(connection.view).toEqual({
      kind: 'run',
      experimentId: '7',
      runId: 'run-2'
    });
  });

  it('stands by while the panel is hidden', async () => {
    create(true);
    await waitFor(() => model.versions !== null);
    connection.isActive = false;
    const count = server.requests.length;
    await sleep(50);
    expect(server.requests).toHaveLength(count);
    model.dispose();
    connection.isActive = true;
    await sleep(50);
    expect(server.requests).toHaveLength(count);
  });
});
