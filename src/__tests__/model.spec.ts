import { SeriesStore } from '../models/seriesStore';
import { TracksideModel } from '../models/tracksideModel';
import { RunsModel } from '../panels/runs/model';
import { TracksideClient } from '../services/client';
import {
  FakeServer,
  HEALTHY_STATUS,
  healthyBackend,
  json,
  sleep,
  waitFor
} from './fakeServer';

const EXPERIMENTS = [
  { experiment_id: '1', name: 'older', last_update_time: '1000' },
  { experiment_id: '2', name: 'newer', last_update_time: 5000 }
];

const RUNS = {
  '2': [
    {
      info: {
        run_id: 'r1',
        run_name: 'brave-fox',
        experiment_id: '2',
        status: 'RUNNING',
        start_time: 4000
      },
      data: { metrics: [{ key: 'loss', value: 0.25, step: 1, timestamp: 1 }] }
    }
  ]
};

const UNAVAILABLE = {
  error_code: 'TRACKSIDE_BACKEND_UNAVAILABLE',
  message: 'MLflow is down'
};

describe('RunsModel', () => {
  let server: FakeServer;
  let model: RunsModel;

  function createModel(
    options: Partial<Omit<RunsModel.IOptions, 'connection'>> & {
      isActive?: boolean;
    } = {}
  ): RunsModel {
    const { isActive, ...rest } = options;
    const connection = new TracksideModel({
      service: new TracksideClient({ serverSettings: server.serverSettings }),
      isActive: isActive ?? true
    });
    return new RunsModel({ connection, ...rest });
  }

  beforeEach(() => {
    server = new FakeServer(
      healthyBackend({ experiments: EXPERIMENTS, runs: RUNS })
    );
  });

  afterEach(() => {
    model.dispose();
    model.connection.dispose();
  });

  it('loads the status and the experiments, newest first', async () => {
    model = createModel();
    const statuses: unknown[] = [];
    const lists: unknown[] = [];
    model.connection.statusChanged.connect((_, status) =>
      statuses.push(status)
    );
    model.experimentsChanged.connect((_, list) => lists.push(list));

    await model.refresh();

    expect(model.connection.status?.mode).toBe('embedded');
    expect(model.connection.status?.healthy).toBe(true);
    expect(model.experiments?.map(e => e.name)).toEqual(['newer', 'older']);
    expect(model.connection.error).toBeNull();
    expect(statuses).toHaveLength(1);
    expect(lists).toHaveLength(1);
    const search = server.requestsTo('mlflow/experiments/search');
    expect(search.length).toBeGreaterThan(0);
    expect(search[0].body).toEqual({
      max_results: 1000,
      order_by: ['last_update_time DESC']
    });
  });

  it('does not emit again when nothing changed', async () => {
    model = createModel();
    await model.refresh();
    let emissions = 0;
    model.experimentsChanged.connect(() => emissions++);
    model.connection.statusChanged.connect(() => emissions++);
    await model.refresh();
    expect(emissions).toBe(0);
  });

  it('loads and refreshes the runs of an expanded experiment', async () => {
    model = createModel({ runsPerExperiment: 25 });
    await model.refresh();
    const changed: string[] = [];
    model.runsChanged.connect((_, id) => changed.push(id));

    model.setExpanded('2', true);
    expect(model.isExpanded('2')).toBe(true);
    expect(model.runs('2')?.isLoading).toBe(true);
    await waitFor(() => model.runs('2')?.runs !== null);

    expect(model.runs('2')?.runs?.map(r => r.info.run_name)).toEqual([
      'brave-fox'
    ]);
    expect(changed).toEqual(['2', '2']);
    const runSearch = server.requestsTo('mlflow/runs/search');
    expect(runSearch[0].body).toEqual({
      experiment_ids: ['2'],
      max_results: 25,
      order_by: ['attributes.start_time DESC']
    });

    // The next refresh fetches the runs again and sees the run finish.
    const before = server.requestsTo('mlflow/runs/search').length;
    RUNS['2'][0].info.status = 'FINISHED';
    await model.refresh();
    expect(server.requestsTo('mlflow/runs/search').length).toBe(before + 1);
    expect(model.runs('2')?.runs?.[0].info.status).toBe('FINISHED');
    RUNS['2'][0].info.status = 'RUNNING';

    model.setExpanded('2', false);
    expect(model.runs('2')).toBeNull();
    const after = server.requestsTo('mlflow/runs/search').length;
    await model.refresh();
    expect(server.requestsTo('mlflow/runs/search').length).toBe(after);
  });

  it('goes from ok to error to recovered', async () => {
    model = createModel();
    const errors: (TracksideModel.IError | null)[] = [];
    model.connection.errorChanged.connect((_, error) => errors.push(error));

    await model.refresh();
    expect(model.connection.error).toBeNull();

    const healthy = server.handler;
    server.handler = request =>
      request.endpoint === 'status'
        ? json(HEALTHY_STATUS)
        : json(UNAVAILABLE, 502);
    await model.refresh();
    expect(model.connection.error).toEqual({
      kind: 'unreachable',
      status: 502,
      errorCode: 'TRACKSIDE_BACKEND_UNAVAILABLE',
      message: 'MLflow is down'
    });
    // The last known experiments are kept.
    expect(model.experiments).toHaveLength(2);

    server.handler = healthy;
    await model.refresh();
    expect(model.connection.error).toBeNull();
    expect(errors.map(e => e?.status ?? null)).toEqual([502, null]);
  });

  it('reports a network failure as unreachable', async () => {
    model = createModel();
    server.handler = () => {
      throw new TypeError('Failed to fetch');
    };
    await model.refresh();
    expect(model.connection.error?.kind).toBe('unreachable');
    expect(model.connection.error?.status).toBe(0);
    expect(model.connection.status).toBeNull();
  });

  it('keeps polling with backoff and recovers by itself', async () => {
    let failures = 0;
    const healthy = server.handler;
    server.handler = request => {
      if (failures < 2) {
        failures++;
        return json(UNAVAILABLE, 502);
      }
      return healthy(request);
    };
    model = createModel({ refreshInterval: 10 });
    await waitFor(() => model.connection.error !== null);
    expect(model.connection.error?.kind).toBe('unreachable');
    await waitFor(
      () => model.connection.error === null && model.experiments !== null
    );
    expect(failures).toBe(2);
    expect(model.experiments).toHaveLength(2);
  });

  it('shows a starting backend without an error', async () => {
    server.handler = request =>
      request.endpoint === 'status'
        ? json({
            ...HEALTHY_STATUS,
            healthy: false,
            state: 'starting',
            mlflow_version: null
          })
        : json(UNAVAILABLE, 502);
    model = createModel();
    await model.refresh();
    expect(model.connection.status?.state).toBe('starting');
    expect(model.connection.error).toBeNull();
    expect(server.requestsTo('mlflow/experiments/search')).toHaveLength(0);
  });

  it('treats a failed backend as an error', async () => {
    server.handler = () =>
      json({
        ...HEALTHY_STATUS,
        healthy: false,
        state: 'failed',
        message: 'mlflow server exited with code 1'
      });
    model = createModel();
    await model.refresh();
    expect(model.connection.error?.kind).toBe('unreachable');
    expect(model.connection.error?.message).toBe(
      'mlflow server exited with code 1'
    );
  });

  it('refreshes at once when points stream in for a run it has not loaded', async () => {
    const store = new SeriesStore();
    const point = { steps: [0], timestamps: [1], values: [0.5] };
    // No refresh interval: only the stream can make it load again.
    model = createModel({ store, refreshInterval: null });
    await model.refresh();
    model.setExpanded('2', true);
    await waitFor(() => model.runs('2')?.runs !== null);
    const searches = () => server.requestsTo('mlflow/runs/search').length;
    const before = searches();

    // Points of a run the table already shows change nothing.
    store.append('r1', 'loss', point);
    store.flush();
    await sleep(400);
    expect(searches()).toBe(before);

    // A run started in the kernel: its first points load it.
    RUNS['2'].unshift({
      info: {
        run_id: 'r2',
        run_name: 'fresh-owl',
        experiment_id: '2',
        status: 'RUNNING',
        start_time: 6000
      },
      data: { metrics: [] }
    });
    try {
      store.append('r2', 'loss', point);
      store.flush();
      store.append('r2', 'acc', point);
      store.flush();
      await waitFor(() =>
        (model.runs('2')?.runs ?? []).some(r => r.info.run_id === 'r2')
      );
      expect(searches()).toBe(before + 1);

      // More points of it refresh nothing; a run no expanded experiment
      // lists refreshes once, not at every batch.
      store.append('r2', 'loss', { ...point, steps: [1] });
      store.append('elsewhere', 'loss', point);
      store.flush();
      await sleep(400);
      store.append('elsewhere', 'loss', { ...point, steps: [1] });
      store.flush();
      await sleep(400);
      expect(searches()).toBe(before + 2);
    } finally {
      RUNS['2'].shift();
      store.dispose();
    }
  });

  it('makes no request while inactive (hidden)', async () => {
    model = createModel({ isActive: false, refreshInterval: 10 });
    await sleep(100);
    await model.refresh();
    expect(server.requests).toHaveLength(0);

    model.connection.isActive = true;
    await waitFor(() => model.experiments !== null);
    expect(server.requestsTo('status').length).toBeGreaterThan(0);

    model.connection.isActive = false;
    await sleep(30);
    const count = server.requests.length;
    await sleep(100);
    expect(server.requests.length).toBe(count);
  });

  it('polls at the refresh interval while active', async () => {
    model = createModel({ refreshInterval: 10 });
    await waitFor(() => server.requestsTo('status').length >= 3);
    expect(server.requestsTo('status').length).toBeGreaterThanOrEqual(3);
  });

  it('applies a new refresh interval', async () => {
    model = createModel();
    await model.refresh();
    const count = server.requestsTo('status').length;
    await sleep(50);
    // Without an interval, the model refreshes on demand only.
    expect(server.requestsTo('status').length).toBe(count);
    model.refreshInterval = 10;
    await waitFor(() => server.requestsTo('status').length >= count + 2);
  });

  it('disposes idempotently and emits nothing afterwards', async () => {
    model = createModel({ refreshInterval: 10 });
    let emissions = 0;
    model.connection.statusChanged.connect(() => emissions++);
    model.experimentsChanged.connect(() => emissions++);
    model.connection.errorChanged.connect(() => emissions++);
    model.runsChanged.connect(() => emissions++);

    model.dispose();
    expect(model.isDisposed).toBe(true);
    expect(() => model.dispose()).not.toThrow();

    await model.refresh();
    model.setExpanded('2', true);
    await sleep(50);
    expect(emissions).toBe(0);
    expect(server.requests).toHaveLength(0);
  });

  it('drops an answer that arrives after disposal', async () => {
    let release: () => void = () => undefined;
    server.handler = request =>
      new Promise<Response>(resolve => {
        release = () => resolve(json(HEALTHY_STATUS));
      });
    model = createModel();
    let emissions = 0;
    model.connection.statusChanged.connect(() => emissions++);
    const refreshed = model.refresh();
    await waitFor(() => server.requests.length === 1);
    model.dispose();
    release();
    await refreshed;
    await sleep(10);
    expect(emissions).toBe(0);
    expect(model.connection.status).toBeNull();
  });
});

describe('TracksideModel', () => {
  const service = {
    status: async () => HEALTHY_STATUS
  } as unknown as TracksideClient;

  it('navigates between the list, a run and a comparison', () => {
    const connection = new TracksideModel({ service });
    const views: TracksideModel.View[] = [];
    connection.viewChanged.connect((_, view) => views.push(view));
    connection.showRun('2', 'r1');
    connection.showRun('2', 'r1');
    connection.showCompare(['r1', 'r2']);
    connection.showList();
    expect(views).toEqual([
      { kind: 'run', experimentId: '2', runId: 'r1' },
      { kind: 'compare', runIds: ['r1', 'r2'] },
      { kind: 'list' }
    ]);
    connection.dispose();
  });

  it('clears its signals when disposed', async () => {
    const connection = new TracksideModel({ service });
    let emissions = 0;
    connection.viewChanged.connect(() => emissions++);
    connection.activeChanged.connect(() => emissions++);
    connection.statusChanged.connect(() => emissions++);
    connection.dispose();
    connection.dispose();
    connection.showRun('2', 'r1');
    connection.isActive = true;
    expect(await connection.updateStatus()).toBe(false);
    expect(emissions).toBe(0);
    expect(connection.view).toEqual({ kind: 'list' });
  });
});

describe('RunsModel and the connection', () => {
  let server: FakeServer;
  let connection: TracksideModel;
  let model: RunsModel;

  beforeEach(() => {
    server = new FakeServer(
      healthyBackend({ experiments: EXPERIMENTS, runs: RUNS })
    );
    connection = new TracksideModel({
      service: new TracksideClient({ serverSettings: server.serverSettings })
    });
    model = new RunsModel({ connection });
  });

  afterEach(() => {
    model.dispose();
    connection.dispose();
  });

  it('refreshes when the panel is shown and stands by while hidden', async () => {
    await sleep(50);
    expect(server.requests).toHaveLength(0);
    connection.isActive = true;
    await waitFor(() => model.experiments !== null);
    connection.isActive = false;
    const count = server.requests.length;
    await model.refresh();
    expect(server.requests.length).toBe(count);
  });

  it('expands the experiment of a run shown in detail', async () => {
    connection.isActive = true;
    connection.showRun('2', 'r1');
    expect(model.isExpanded('2')).toBe(true);
    await waitFor(() => model.runs('2')?.isLoading === false);
    expect(model.runs('2')?.runs?.map(r => r.info.run_id)).toEqual(['r1']);
  });

  it('disconnects from the connection when disposed', async () => {
    let emissions = 0;
    model.runsChanged.connect(() => emissions++);
    model.experimentsChanged.connect(() => emissions++);
    model.dispose();
    connection.isActive = true;
    connection.showRun('2', 'r1');
    await sleep(50);
    expect(emissions).toBe(0);
    expect(model.isExpanded('2')).toBe(false);
    expect(server.requests).toHaveLength(0);
  });
});
