import { PredictModel } from '../panels/serving/predictModel';
import { IServingExample } from '../panels/serving/example';
import { IPredictResult, IServedModel, IServingService } from '../tokens';
import { sleep, waitFor } from './fakeServer';

const SERVED: IServedModel = {
  id: 's1',
  name: 'iris',
  version: '1',
  model_uri: 'models:/iris/1',
  state: 'ready',
  port: 1234,
  pid: 99,
  started_at: 1,
  ready_at: 2,
  message: null,
  log_tail: ''
};

const EXAMPLE: IServingExample = {
  path: 'serving_input_example.json',
  payload: {
    dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] }
  }
};

/**
 * A deferred promise.
 */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('PredictModel', () => {
  let sent: Array<{ payload: unknown; signal?: AbortSignal }>;
  let answer: ReturnType<typeof deferred<IPredictResult>>;
  let service: IServingService;
  let model: PredictModel;

  function create(
    loadExample: PredictModel.ExampleLoader = async () => EXAMPLE
  ): PredictModel {
    return new PredictModel({ served: SERVED, service, loadExample });
  }

  beforeEach(() => {
    sent = [];
    answer = deferred<IPredictResult>();
    service = {
      serverSettings: {} as IServingService['serverSettings'],
      list: async () => [],
      start: async () => SERVED,
      stop: async () => SERVED,
      predict: async (_id, payload, options) => {
        sent.push({ payload, signal: options?.signal });
        return answer.promise;
      }
    };
  });

  afterEach(() => {
    model?.dispose();
  });

  it('is prefilled from the input example, as JSON and a table', async () => {
    model = create();
    expect(model.exampleState).toBe('loading');
    await waitFor(() => model.exampleState === 'loaded');
    expect(JSON.parse(model.text)).toEqual(EXAMPLE.payload);
    expect(model.table!.columns).toEqual(['a', 'b']);
    expect(model.examplePath).toBe('serving_input_example.json');
  });

  it('says when the model has no example, keeping an empty split', async () => {
    model = create(async () => null);
    await waitFor(() => model.exampleState === 'none');
    expect(JSON.parse(model.text)).toEqual({
      dataframe_split: { columns: [], data: [] }
    });
  });

  it('says why the example could not be read', async () => {
    model = create(async () => {
      throw new Error('HTTP 500');
    });
    await waitFor(() => model.exampleState === 'failed');
    expect(model.exampleError).toBe('HTTP 500');
  });

  it('does not overwrite what the user typed before the example came', async () => {
    const example = deferred<IServingExample | null>();
    model = create(() => example.promise);
    model.setText('{"inputs": [1]}');
    example.resolve(EXAMPLE);
    await waitFor(() => model.exampleState === 'loaded');
    expect(model.text).toBe('{"inputs": [1]}');
  });

  it('rewrites the table from the JSON and the JSON from the table', async () => {
    model = create();
    await waitFor(() => model.exampleState === 'loaded');
    model.setText(
      '{"dataframe_records": [{"x": 1, "y": 2}, {"x": 3, "y": 4}]}'
    );
    expect(model.table!.columns).toEqual(['x', 'y']);
    expect(model.table!.rows).toEqual([
      [1, 2],
      [3, 4]
    ]);

    model.setCell(1, 0, '30');
    model.renameColumn(1, 'why');
    expect(JSON.parse(model.text)).toEqual({
      dataframe_records: [
        { x: 1, why: 2 },
        { x: 30, why: 4 }
      ]
    });
  });

  it('shows a syntax error and keeps the last table, not editable', async () => {
    model = create();
    await waitFor(() => model.exampleState === 'loaded');
    model.setText('{"dataframe_split": ');
    expect(model.jsonError).not.toBeNull();
    expect(model.jsonError!.line).toBe(1);
    expect(model.isTableStale).toBe(true);
    expect(model.canPredict).toBe(false);
    model.setCell(0, 0, '99');
    expect(model.text).toBe('{"dataframe_split": ');
    expect(model.table!.rows).toEqual([[1, 2]]);

    model.setText('{"inputs": "a"}');
    expect(model.jsonError).toBeNull();
    expect(model.table).toBeNull();
  });

  it('sends the parsed payload, one request at a time', async () => {
    model = create();
    await waitFor(() => model.exampleState === 'loaded');
    const predicting = model.predict();
    expect(model.isPredicting).toBe(true);
    expect(model.canPredict).toBe(false);
    await model.predict();
    expect(sent).toHaveLength(1);
    expect(sent[0].payload).toEqual(EXAMPLE.payload);

    const result: IPredictResult = {
      status: 200,
      latency_ms: 3.2,
      has_predictions: true,
      predictions: [0],
      error: null
    };
    answer.resolve(result);
    await predicting;
    expect(model.isPredicting).toBe(false);
    expect(model.result).toBe(result);
    expect(model.requestError).toBeNull();
  });

  it('shows the failure of the relay', async () => {
    model = create();
    await waitFor(() => model.exampleState === 'loaded');
    const predicting = model.predict();
    answer.reject(new Error('Serving process s1 is not ready'));
    await predicting;
    expect(model.result).toBeNull();
    expect(model.requestError).toBe('Serving process s1 is not ready');
  });

  it('aborts a request in flight when disposed and ignores its answer', async () => {
    model = create();
    await waitFor(() => model.exampleState === 'loaded');
    let changes = 0;
    model.changed.connect(() => changes++);
    const predicting = model.predict();
    changes = 0;
    model.dispose();
    expect(sent[0].signal!.aborted).toBe(true);
    answer.resolve({
      status: 200,
      latency_ms: 1,
      has_predictions: true,
      predictions: [1],
      error: null
    });
    await predicting;
    await sleep(10);
    expect(changes).toBe(0);
    expect(model.result).toBeNull();
  });

  it('ignores an example that comes after it is disposed', async () => {
    const example = deferred<IServingExample | null>();
    model = create(() => example.promise);
    let changes = 0;
    model.changed.connect(() => changes++);
    model.dispose();
    example.resolve(EXAMPLE);
    await sleep(10);
    expect(changes).toBe(0);
    expect(model.exampleState).toBe('loading');
  });
});
