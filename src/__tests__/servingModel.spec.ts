import { TracksideModel } from '../models/tracksideModel';
import { ServingModel } from '../panels/serving/model';
import { IServingExample } from '../panels/serving/example';
import {
  IPredictResult,
  IServedModel,
  IServingService,
  ITracksideService
} from '../tokens';
import { sleep, waitFor } from './fakeServer';

function served(id: string, state: IServedModel['state']): IServedModel {
  return {
    id,
    name: 'iris',
    version: id.slice(1),
    model_uri: `models:/iris/${id.slice(1)}`,
    state,
    port: 1234,
    pid: 99,
    started_at: Number(id.slice(1)),
    ready_at: null,
    message: null,
    log_tail: ''
  };
}

/**
 * A serving service answering from `served`, counting list calls.
 */
class FakeServing implements IServingService {
  readonly serverSettings = {} as IServingService['serverSettings'];
  served: IServedModel[] = [];
  lists = 0;
  stops: string[] = [];
  failList: Error | null = null;
  async list(): Promise<IServedModel[]> {
    this.lists++;
    if (this.failList) {
      throw this.failList;
    }
    return this.served;
  }
  async start(): Promise<IServedModel> {
    throw new Error('not used');
  }
  async stop(id: string): Promise<IServedModel> {
    // As the server does: answer it stopped, and forget it.
    this.stops.push(id);
    const stopped = this.served.find(s => s.id === id)!;
    this.served = this.served.filter(s => s.id !== id);
    return { ...stopped, state: 'stopped', pid: null };
  }
  async predict(): Promise<IPredictResult> {
    throw new Error('not used');
  }
}

describe('ServingModel', () => {
  let connection: TracksideModel;
  let service: FakeServing;
  let loads: string[];
  let model: ServingModel;

  const loadExample = async (
    name: string,
    version: string
  ): Promise<IServingExample | null> => {
    loads.push(`${name}/${version}`);
    return null;
  };

  function create(options: Partial<ServingModel.IOptions> = {}): ServingModel {
    return new ServingModel({
      connection,
      service,
      loadExample,
      startingInterval: 20,
      idleInterval: 200,
      ...options
    });
  }

  beforeEach(() => {
    connection = new TracksideModel({
      service: {} as ITracksideService,
      isActive: true
    });
    service = new FakeServing();
    loads = [];
  });

  afterEach(() => {
    model?.dispose();
    connection.dispose();
  });

  it('lists the served models, newest first', async () => {
    service.served = [served('s1', 'ready'), served('s3', 'stopped')];
    model = create();
    await waitFor(() => model.served !== null);
    expect(model.served!.map(s => s.id)).toEqual(['s3', 's1']);
    expect(model.error).toBeNull();
  });

  it('polls fast while a model starts, slower once it is ready', async () => {
    service.served = [served('s1', 'starting')];
    model = create();
    await waitFor(() => model.served !== null);
    expect(model.hasStarting).toBe(true);
    expect(model.interval).toBe(20);
    const before = service.lists;
    await sleep(150);
    expect(service.lists - before).toBeGreaterThanOrEqual(2);

    service.served = [served('s1', 'ready')];
    await waitFor(() => model.selected === null && !model.hasStarting);
    expect(model.interval).toBe(200);
    const settled = service.lists;
    await sleep(100);
    expect(service.lists - settled).toBeLessThanOrEqual(1);
  });

  it('stands by while the panel is hidden and refreshes when shown', async () => {
    service.served = [served('s1', 'starting')];
    model = create();
    await waitFor(() => model.served !== null);
    connection.isActive = false;
    await sleep(30);
    const hidden = service.lists;
    await sleep(120);
    expect(service.lists).toBe(hidden);

    service.served = [served('s1', 'ready')];
    connection.isActive = true;
    await waitFor(() => model.served![0].state === 'ready');
  });

  it('fetches nothing while created hidden', async () => {
    connection.isActive = false;
    model = create();
    await sleep(100);
    expect(service.lists).toBe(0);
    expect(model.served).toBeNull();
  });

  it('keeps the last list and shows the error of a failed fetch', async () => {
    service.served = [served('s1', 'ready')];
    model = create();
    await waitFor(() => model.served !== null);
    service.failList = new Error('Jupyter server unreachable');
    await model.refresh();
    expect(model.error).toBe('Jupyter server unreachable');
    expect(model.served!.map(s => s.id)).toEqual(['s1']);
  });

  it('creates a predict form for the selected model, once listed', async () => {
    model = create({ selectedId: 's2' });
    expect(model.predictor).toBeNull();
    service.served = [served('s2', 'starting')];
    await waitFor(() => model.predictor !== null);
    const first = model.predictor!;
    expect(first.served.id).toBe('s2');
    await waitFor(() => loads.length === 1);
    expect(loads).toEqual(['iris/2']);

    // A refresh keeps the same form (and what the user typed in it).
    service.served = [served('s2', 'ready')];
    await model.refresh();
    expect(model.predictor).toBe(first);

    model.select(null);
    expect(model.predictor).toBeNull();
    expect(first.isDisposed).toBe(true);
  });

  it('stops a served model and shows it stopped', async () => {
    service.served = [served('s1', 'ready')];
    model = create();
    await waitFor(() => model.served !== null);
    const stopping = model.stop('s1');
    expect(model.isStopping('s1')).toBe(true);
    await stopping;
    expect(service.stops).toEqual(['s1']);
    expect(model.isStopping('s1')).toBe(false);
    expect(model.served!.map(s => [s.id, s.state])).toEqual([
      ['s1', 'stopped']
    ]);
    // The server no longer lists it; it stays listed here as stopped.
    service.served = [served('s2', 'starting')];
    await model.refresh();
    expect(model.served!.map(s => [s.id, s.state])).toEqual([
      ['s2', 'starting'],
      ['s1', 'stopped']
    ]);
  });

  it('shows the error of a failed stop on the served model', async () => {
    service.served = [served('s1', 'ready')];
    service.stop = async () => {
      throw new Error('No served model s1');
    };
    model = create();
    await waitFor(() => model.served !== null);
    await model.stop('s1');
    expect(model.stopError('s1')).toBe('No served model s1');
  });

  it('disposes its poll and form and ignores late answers', async () => {
    service.served = [served('s1', 'starting')];
    model = create({ selectedId: 's1' });
    await waitFor(() => model.predictor !== null);
    const predictor = model.predictor!;
    let changes = 0;
    model.changed.connect(() => changes++);
    model.dispose();
    expect(predictor.isDisposed).toBe(true);
    const lists = service.lists;
    await sleep(100);
    expect(service.lists).toBe(lists);
    expect(changes).toBe(0);
  });
});
