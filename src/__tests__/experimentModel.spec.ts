import { SeriesStore } from '../models/seriesStore';
import { TracksideModel } from '../models/tracksideModel';
import { ExperimentModel } from '../panels/experiment/model';
import { RunsModel } from '../panels/runs/model';
import { TracksideClient } from '../services/client';
import {
  FakeServer,
  healthyBackend,
  IRecordedRequest,
  json,
  sleep,
  waitFor
} from './fakeServer';

/**
 * A run of experiment 1 with metrics logged at step 0.
 */
function run(id: string, start: number, metrics: Record<string, number>) {
  return {
    info: {
      run_id: id,
      run_name: `run ${id}`,
      experiment_id: '1',
      status: 'FINISHED',
      start_time: start
    },
    data: {
      metrics: Object.entries(metrics).map(([key, value]) => ({
        key,
        value,
        step: 0,
        timestamp: 0
      }))
    }
  };
}

const RUNS = [
  run('a', 3, { rmse: 0.5, acc: 0.7 }),
  run('b', 2, { rmse: 0.2, loss: 1 }),
  run('c', 1, { r2: 0.9 })
];

describe('ExperimentModel', () => {
  let server: FakeServer;
  let runs: RunsModel;
  let store: SeriesStore;
  let model: ExperimentModel;

  beforeEach(async () => {
    server = new FakeServer();
    const backend = healthyBackend({
      experiments: [{ experiment_id: '1', name: 'iris' }],
      runs: { '1': RUNS }
    });
    server.handler = (request: IRecordedRequest) =>
      request.endpoint.startsWith('mlflow/experiments/get')
        ? json({ experiment: { experiment_id: '1', name: 'iris (fetched)' } })
        : backend(request);
    runs = new RunsModel({
      connection: new TracksideModel({
        service: new TracksideClient({ serverSettings: server.serverSettings })
      })
    });
    store = new SeriesStore();
    model = new ExperimentModel({ experimentId: '1', runs, store });
    await waitFor(() => model.state.runs !== null && !model.state.isLoading);
  });

  afterEach(() => {
    model.dispose();
    runs.dispose();
    runs.connection.dispose();
    store.dispose();
  });

  const ids = () => model.selectedRuns.map(r => r.info.run_id);

  it('loads the runs of its experiment, with the sidebar closed', () => {
    expect(runs.connection.isActive).toBe(false);
    expect(model.state.runs?.map(r => r.info.run_id)).toEqual(['a', 'b', 'c']);
    expect(model.table.runs).toHaveLength(3);
    expect(runs.isExpanded('1')).toBe(false);
  });

  it('takes the name from the backend until the runs model knows it', async () => {
    await waitFor(() => model.name !== null);
    expect(model.name).toBe('iris (fetched)');
    await runs.refresh(); // inactive: skipped
    runs.connection.isActive = true;
    await waitFor(() => model.name === 'iris');
  });

  it('charts the metric keys of the selected runs, in selection order', () => {
    const changed = jest.fn();
    model.changed.connect(changed);
    expect(model.keys).toEqual([]);
    runs.selection.set('b', true);
    runs.selection.set('a', true);
    expect(ids()).toEqual(['b', 'a']);
    expect(model.keys).toEqual(['acc', 'loss', 'rmse']);
    expect(changed).toHaveBeenCalledTimes(2);
    runs.selection.set('b', false);
    expect(model.keys).toEqual(['acc', 'rmse']);
    // A run of another experiment is not charted here.
    runs.selection.set('elsewhere', true);
    expect(ids()).toEqual(['a']);
    runs.selection.clear();
    expect(model.keys).toEqual([]);
  });

  it('adds a key a selected run starts streaming, not an unselected one', async () => {
    runs.selection.set('a', true);
    const before = model.selectedRuns;
    const changed = jest.fn();
    model.changed.connect(changed);
    store.append('c', 'val_loss', { steps: [0], timestamps: [0], values: [1] });
    await sleep(50);
    expect(changed).not.toHaveBeenCalled();
    store.append('a', 'val_loss', { steps: [0], timestamps: [0], values: [1] });
    await waitFor(() => model.keys.includes('val_loss'));
    expect(model.keys).toEqual(['acc', 'rmse', 'val_loss']);
    // A new array: the chart grid computes its charts again.
    expect(model.selectedRuns).not.toBe(before);
    expect(changed).toHaveBeenCalledTimes(1);
    // More points of a charted key change nothing.
    store.append('a', 'val_loss', { steps: [1], timestamps: [1], values: [2] });
    await sleep(50);
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('polls only while active, and shows new runs', async () => {
    const searches = () => server.requestsTo('mlflow/runs/search').length;
    const before = searches();
    await model.refresh();
    expect(searches()).toBe(before);
    RUNS.unshift(run('d', 4, { f1: 0.3 }));
    try {
      model.isActive = true;
      await waitFor(() => model.state.runs?.length === 4);
      expect(searches()).toBeGreaterThan(before);
      runs.selection.set('d', true);
      expect(model.keys).toEqual(['f1']);
    } finally {
      RUNS.shift();
    }
  });

  it('disconnects from the selection and the store when disposed', async () => {
    const changed = jest.fn();
    model.changed.connect(changed);
    model.dispose();
    expect(model.isDisposed).toBe(true);
    runs.selection.set('a', true);
    store.append('a', 'x', { steps: [0], timestamps: [0], values: [1] });
    await sleep(50);
    expect(changed).not.toHaveBeenCalled();
    expect(model.selectedRuns).toEqual([]);
    const searches = server.requestsTo('mlflow/runs/search').length;
    model.isActive = true;
    await model.refresh();
    expect(server.requestsTo('mlflow/runs/search').length).toBe(searches);
    model.dispose();
  });
});
