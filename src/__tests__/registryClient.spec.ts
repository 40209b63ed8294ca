import { RegistryClient } from '../services/registryClient';
import { Normalize } from '../services/normalize';
import { NormalizeRegistry } from '../services/normalizeRegistry';
import { TracksideRequestError } from '../services/request';
import { FakeServer, json } from './fakeServer';

const VERSION_JSON = {
  name: 'iris',
  version: '2',
  creation_timestamp: '1700000000000',
  last_updated_timestamp: 1700000001000,
  current_stage: 'Production',
  source: 'models:/m-0123',
  run_id: 'r1',
  model_id: 'm-0123',
  status: 'READY',
  tags: [{ key: 'k', value: 'v' }],
  aliases: ['champion']
};

describe('NormalizeRegistry', () => {
  it('normalises a registered model defensively', () => {
    const model = NormalizeRegistry.registeredModel({
      name: 'iris',
      creation_timestamp: '1700000000000',
      last_updated_timestamp: 'soon',
      description: 'Irises\nsecond line',
      latest_versions: [VERSION_JSON],
      aliases: [{ alias: 'champion', version: '2' }, { version: '1' }],
      tags: [{ key: 'team', value: 'ml' }, 'junk']
    });
    expect(model).toEqual({
      name: 'iris',
      creation_timestamp: 1700000000000,
      last_updated_timestamp: null,
      user_id: '',
      description: 'Irises\nsecond line',
      latest_versions: [NormalizeRegistry.modelVersion(VERSION_JSON)],
      tags: [
        { key: 'team', value: 'ml' },
        { key: '', value: '' }
      ],
      aliases: [{ alias: 'champion', version: '2' }]
    });
  });

  it('gives empty fields their empty value', () => {
    const model = NormalizeRegistry.registeredModel(null);
    expect(model.latest_versions).toEqual([]);
    expect(model.aliases).toEqual([]);
    expect(model.tags).toEqual([]);
    const version = NormalizeRegistry.modelVersion({ name: 'x', version: 3 });
    expect(version.version).toBe('3');
    expect(version.run_id).toBeNull();
    expect(version.model_id).toBeNull();
    expect(version.current_stage).toBe('None');
    expect(version.creation_timestamp).toBeNull();
  });

  it('reads the logged model id of a models:/ source', () => {
    const version = NormalizeRegistry.modelVersion({
      version: '1',
      source: 'models:/m-0a1b2c3d4e5f60718293a4b5c6d7e8f9'
    });
    expect(version.model_id).toBe('m-0a1b2c3d4e5f60718293a4b5c6d7e8f9');
    expect(
      NormalizeRegistry.modelVersion({ source: 'runs:/r1/model' }).model_id
    ).toBeNull();
  });

  it("turns a version's alias names into {alias, version}", () => {
    const version = NormalizeRegistry.modelVersion(VERSION_JSON);
    expect(version.aliases).toEqual([{ alias: 'champion', version: '2' }]);
    expect(version.creation_timestamp).toBe(1700000000000);
    expect(version.run_id).toBe('r1');
    expect(version.model_id).toBe('m-0123');
    expect(version.current_stage).toBe('Production');
  });
});

describe('Normalize.backendStatus capabilities', () => {
  it('reads the capabilities, null when absent', () => {
    expect(
      Normalize.backendStatus({
        capabilities: { registry_write: true, serving: 'yes' }
      }).capabilities
    ).toEqual({ registry_write: true, serving: false });
    expect(Normalize.backendStatus({}).capabilities).toBeNull();
  });
});

describe('RegistryClient', () => {
  let server: FakeServer;
  let client: RegistryClient;

  beforeEach(() => {
    server = new FakeServer(() => json({}));
    client = new RegistryClient({ serverSettings: server.serverSettings });
  });

  it('searches registered models with a filter, order and page token', async () => {
    server.handler = () =>
      json({
        registered_models: [{ name: 'a' }, { name: 'b' }],
        next_page_token: 'tok2'
      });
    const page = await client.searchRegisteredModels({
      filter: "name ILIKE '%a%'",
      maxResults: 50,
      orderBy: ['name ASC', 'last_updated_timestamp DESC'],
      pageToken: 'tok1'
    });
    expect(page.registeredModels.map(m => m.name)).toEqual(['a', 'b']);
    expect(page.nextPageToken).toBe('tok2');
    const [request] = server.requests;
    expect(request.method).toBe('GET');
    expect(request.endpoint).toBe('mlflow/registered-models/search');
    expect(request.url).toContain(
      'order_by=name%20ASC&order_by=last_updated_timestamp%20DESC'
    );
    expect(request.query).toMatchObject({
      max_results: '50',
      filter: "name ILIKE '%a%'",
      page_token: 'tok1'
    });
  });

  it('gives null for the last page', async () => {
    server.handler = () => json({});
    const page = await client.searchRegisteredModels();
    expect(page).toEqual({ registeredModels: [], nextPageToken: null });
    expect(server.requests[0].query.max_results).toBe(
      String(RegistryClient.DEFAULT_MAX_RESULTS)
    );
  });

  it('gets a registered model, a version and a version by alias', async () => {
    server.handler = request =>
      request.endpoint === 'mlflow/registered-models/get'
        ? json({ registered_model: { name: request.query.name } })
        : json({ model_version: VERSION_JSON });
    expect((await client.getRegisteredModel('a b/c')).name).toBe('a b/c');
    expect((await client.getModelVersion('iris', '2')).version).toBe('2');
    await client.getModelVersionByAlias('iris', 'champion');
    expect(server.requests.map(r => [r.endpoint, r.query])).toEqual([
      ['mlflow/registered-models/get', { name: 'a b/c' }],
      ['mlflow/model-versions/get', { name: 'iris', version: '2' }],
      ['mlflow/registered-models/alias', { name: 'iris', alias: 'champion' }]
    ]);
  });

  it('searches the versions of a model or a run, quoting the value', async () => {
    server.handler = () => json({ model_versions: [VERSION_JSON] });
    const page = await client.searchModelVersions({ name: "it's" });
    expect(page.modelVersions).toHaveLength(1);
    await client.searchModelVersions({ runId: 'r1', filter: "tags.a = 'b'" });
    expect(server.requests.map(r => r.query.filter)).toEqual([
      `name = "it's"`,
      "run_id = 'r1' AND tags.a = 'b'"
    ]);
  });

  it('refuses a value that no MLflow filter can quote', () => {
    expect(() => RegistryClient.quote(`a'b"c`)).toThrow(TracksideRequestError);
    expect(RegistryClient.quote('plain')).toBe("'plain'");
  });

  it('sends each write to its registry operation with its method', async () => {
    server.handler = request =>
      request.endpoint.startsWith('registry/model-versions')
        ? json({ model_version: VERSION_JSON })
        : json({ registered_model: { name: 'iris' } });
    await client.createRegisteredModel({
      name: 'iris',
      tags: [{ key: 'k', value: 'v' }]
    });
    await client.updateRegisteredModel('iris', 'desc');
    await client.setRegisteredModelTag('iris', 'k', 'v');
    await client.deleteRegisteredModelTag('iris', 'k');
    await client.setAlias('iris', 'champion', '2');
    await client.deleteAlias('iris', 'champion');
    await client.createModelVersion({
      name: 'iris',
      source: 'models:/m-0123',
      modelId: 'm-0123'
    });
    await client.updateModelVersion('iris', '2', 'v desc');
    await client.setModelVersionTag('iris', '2', 'k', 'v');
    await client.deleteModelVersionTag('iris', '2', 'k');
    await client.deleteModelVersion('iris', '2');
    expect(server.requests.map(r => [r.method, r.endpoint, r.body])).toEqual([
      [
        'POST',
        'registry/registered-models/create',
        { name: 'iris', tags: [{ key: 'k', value: 'v' }] }
      ],
      [
        'PATCH',
        'registry/registered-models/update',
        { name: 'iris', description: 'desc' }
      ],
      [
        'POST',
        'registry/registered-models/set-tag',
        { name: 'iris', key: 'k', value: 'v' }
      ],
      [
        'DELETE',
        'registry/registered-models/delete-tag',
        { name: 'iris', key: 'k' }
      ],
      [
        'POST',
        'registry/registered-models/alias',
        { name: 'iris', alias: 'champion', version: '2' }
      ],
      [
        'DELETE',
        'registry/registered-models/alias',
        { name: 'iris', alias: 'champion' }
      ],
      [
        'POST',
        'registry/model-versions/create',
        { name: 'iris', source: 'models:/m-0123', model_id: 'm-0123' }
      ],
      [
        'PATCH',
        'registry/model-versions/update',
        { name: 'iris', version: '2', description: 'v desc' }
      ],
      [
        'POST',
        'registry/model-versions/set-tag',
        { name: 'iris', version: '2', key: 'k', value: 'v' }
      ],
      [
        'DELETE',
        'registry/model-versions/delete-tag',
        { name: 'iris', version: '2', key: 'k' }
      ],
      [
        'DELETE',
        'registry/model-versions/delete',
        { name: 'iris', version: '2' }
      ]
    ]);
  });

  it("rejects with MLflow's error code and message", async () => {
    server.handler = () =>
      json(
        {
          error_code: 'INVALID_PARAMETER_VALUE',
          message: "Invalid alias name: 'a b'."
        },
        400
      );
    await expect(client.setAlias('iris', 'a b', '1')).rejects.toMatchObject({
      status: 400,
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: "Invalid alias name: 'a b'."
    });
  });
});
