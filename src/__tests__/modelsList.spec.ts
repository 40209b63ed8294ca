import { TracksideModel } from '../models/tracksideModel';
import { TracksideClient } from '../services/client';
import { RegistryClient } from '../services/registryClient';
import { RegisteredModelsModel } from '../panels/models/listModel';
import { SearchFilter } from '../panels/models/searchFilter';
import { aliasProblem } from '../panels/models/aliasRules';
import { nullTranslator } from '@jupyterlab/translation';
import {
  FakeServer,
  HEALTHY_STATUS,
  IRecordedRequest,
  json,
  sleep,
  waitFor
} from './fakeServer';

const trans = nullTranslator.load('jupyterlab_trackside');

/**
 * A registry of `count` models named `model-000`…, answering searches by
 * name with MLflow's page tokens (the offset), and MLflow's error for a
 * filter it cannot parse.
 */
function registry(count: number) {
  const names = Array.from(
    { length: count },
    (_, i) => `model-${String(i).padStart(3, '0')}`
  );
  return (request: IRecordedRequest): Response => {
    if (request.endpoint === 'status') {
      return json(HEALTHY_STATUS);
    }
    if (request.endpoint !== 'mlflow/registered-models/search') {
      return json({ error_code: 'ENDPOINT_NOT_FOUND', message: 'no' }, 404);
    }
    const { filter, page_token, max_results } = request.query;
    let matching = names;
    if (filter !== undefined) {
      const like = /^name ILIKE '%(.*)%'$/.exec(filter);
      if (like) {
        matching = names.filter(n => n.includes(like[1]));
      } else if (filter !== "tags.team = 'x'") {
        return json(
          {
            error_code: 'INVALID_PARAMETER_VALUE',
            message: `Invalid filter '${filter}'`
          },
          400
        );
      } else {
        matching = names.slice(0, 1);
      }
    }
    const start = Number(page_token ?? 0);
    const end = start + Number(max_results);
    return json({
      registered_models: matching
        .slice(start, end)
        .map(name => ({ name, latest_versions: [{ name, version: '1' }] })),
      next_page_token: end < matching.length ? String(end) : undefined
    });
  };
}

describe('SearchFilter', () => {
  it('turns plain text into a name search', () => {
    expect(SearchFilter.toMlflow('')).toBeUndefined();
    expect(SearchFilter.toMlflow('  ')).toBeUndefined();
    expect(SearchFilter.toMlflow('iris')).toBe("name ILIKE '%iris%'");
    expect(SearchFilter.toMlflow(" it's ")).toBe(`name ILIKE "%it's%"`);
    expect(SearchFilter.toMlflow('<img src=x onerror=alert(1)>')).toBe(
      "name ILIKE '%<img src=x onerror=alert(1)>%'"
    );
  });

  it('passes MLflow filter syntax as is', () => {
    for (const filter of [
      "tags.team = 'x'",
      "name = 'iris'",
      "name ILIKE 'ir%'",
      "name LIKE 'ir%'",
      'tags.`my key` != "a"',
      "name IN ('a', 'b')",
      "tags.team='x' AND name LIKE 'a%'"
    ]) {
      expect(SearchFilter.toMlflow(filter)).toBe(filter);
    }
    // Malformed but clearly a filter: MLflow judges it.
    expect(SearchFilter.toMlflow("name = 'x")).toBe("name = 'x");
    // A word that merely starts like a key is plain text.
    expect(SearchFilter.toMlflow('names')).toBe("name ILIKE '%names%'");
  });
});

describe('aliasProblem', () => {
  it("applies MLflow's alias rules", () => {
    expect(aliasProblem('champion', trans)).toBeNull();
    expect(aliasProblem('blue-green_2', trans)).toBeNull();
    expect(aliasProblem('modèle', trans)).toBeNull();
    expect(aliasProblem('', trans)).toContain('cannot be empty');
    expect(aliasProblem('a b', trans)).toContain("Invalid alias name: 'a b'");
    expect(aliasProblem('a.b', trans)).toContain('Invalid alias name');
    expect(aliasProblem('Latest', trans)).toContain('reserved');
    expect(aliasProblem('v12', trans)).toContain("'v12' is reserved");
    expect(aliasProblem('v12a', trans)).toBeNull();
    expect(aliasProblem('a'.repeat(255), trans)).toBeNull();
    expect(aliasProblem('a'.repeat(256), trans)).toContain('maximum length');
  });
});

describe('RegisteredModelsModel', () => {
  let server: FakeServer;
  let connection: TracksideModel;
  let model: RegisteredModelsModel;

  beforeEach(() => {
    server = new FakeServer(registry(250));
    connection = new TracksideModel({
      service: new TracksideClient({ serverSettings: server.serverSettings })
    });
    model = new RegisteredModelsModel({
      connection,
      registry: new RegistryClient({ serverSettings: server.serverSettings }),
      pageSize: 100
    });
  });

  afterEach(() => {
    model.dispose();
    connection.dispose();
  });

  const searches = () => server.requestsTo('mlflow/registered-models/search');

  it('stands by until the panel shows the models, then loads one page', async () => {
    await sleep(50);
    expect(searches()).toHaveLength(0);
    connection.isActive = true;
    await sleep(50);
    expect(searches()).toHaveLength(0);
    connection.showModels();
    await waitFor(() => model.models !== null);
    expect(model.models).toHaveLength(100);
    expect(model.hasMore).toBe(true);
    expect(searches()[0].query).toEqual({
      max_results: '100',
      order_by: 'name ASC'
    });
  });

  it('pages with the page token, never loading everything', async () => {
    await model.search('');
    await model.loadMore();
    expect(model.models).toHaveLength(200);
    expect(searches()[1].query.page_token).toBe('100');
    await model.loadMore();
    expect(model.models).toHaveLength(250);
    expect(model.models?.[249].name).toBe('model-249');
    expect(model.hasMore).toBe(false);
    const count = searches().length;
    await model.loadMore();
    expect(searches()).toHaveLength(count);
  });

  it('translates plain text and starts again from the first page', async () => {
    await model.search('');
    await model.loadMore();
    await model.search('-01');
    expect(searches().at(-1)?.query.filter).toBe("name ILIKE '%-01%'");
    expect(searches().at(-1)?.query.page_token).toBeUndefined();
    expect(model.models?.map(m => m.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `model-01${i}`)
    );
    expect(model.hasMore).toBe(false);
    await model.search("tags.team = 'x'");
    expect(searches().at(-1)?.query.filter).toBe("tags.team = 'x'");
    expect(model.models?.map(m => m.name)).toEqual(['model-000']);
  });

  it("shows MLflow's message for a malformed filter", async () => {
    await model.search("name = 'x");
    expect(model.error).toBe(`Invalid filter 'name = 'x'`);
    expect(model.models).toEqual([]);
    await model.search('model-2');
    expect(model.error).toBeNull();
    expect(model.models).toHaveLength(50);
  });

  it('drops the answer to an older search', async () => {
    const slow = registry(250);
    server.handler = async request => {
      if (request.query.filter === "name ILIKE '%slow%'") {
        await sleep(100);
      }
      return slow(request);
    };
    const first = model.search('slow');
    await sleep(10);
    await model.search('model-00');
    await first;
    expect(model.query).toBe('model-00');
    expect(model.models).toHaveLength(10);
  });

  it('refreshes as many models as are loaded in one request', async () => {
    await model.search('');
    await model.loadMore();
    const count = searches().length;
    await model.refresh();
    expect(searches()).toHaveLength(count + 1);
    expect(searches().at(-1)?.query.max_results).toBe('200');
    expect(model.models).toHaveLength(200);
  });

  it('opens a registered model', async () => {
    await model.search('');
    model.connection.showRegisteredModel(model.models![3].name);
    expect(connection.view).toEqual({
      kind: 'registeredModel',
      name: 'model-003'
    });
  });
});
