import { TracksideRequestError } from '../services/request';
import { ServingClient } from '../services/servingClient';
import { ServingNormalize } from '../services/servingNormalize';
import { BASE_URL, FakeServer, json } from './fakeServer';

const SERVED = {
  id: 's1',
  name: 'tracking-quickstart',
  version: '1',
  model_uri: 'models:/tracking-quickstart/1',
  state: 'ready',
  port: 53011,
  pid: 4242,
  started_at: 1_700_000_000_000,
  ready_at: 1_700_000_004_000,
  message: null,
  log_tail: ''
};

describe('ServingNormalize', () => {
  it('keeps a complete served model as it is', () => {
    expect(ServingNormalize.served(SERVED)).toEqual(SERVED);
  });

  it('fills missing fields with empty values', () => {
    expect(ServingNormalize.served({ id: 's2', state: 'starting' })).toEqual({
      id: 's2',
      name: '',
      version: '',
      model_uri: '',
      state: 'starting',
      port: null,
      pid: null,
      started_at: null,
      ready_at: null,
      message: null,
      log_tail: ''
    });
  });

  it('reads numbers sent as strings and a numeric version', () => {
    const served = ServingNormalize.served({
      ...SERVED,
      version: 3,
      port: '5000',
      started_at: '1700000000000'
    });
    expect(served.version).toBe('3');
    expect(served.port).toBe(5000);
    expect(served.started_at).toBe(1_700_000_000_000);
  });

  it('shows an unknown state as failed, saying which', () => {
    const served = ServingNormalize.served({ ...SERVED, state: 'exploded' });
    expect(served.state).toBe('failed');
    expect(served.message).toBe('Unknown state: exploded');
  });

  it('lists nothing from an answer without `served`', () => {
    expect(ServingNormalize.servedList({})).toEqual([]);
    expect(ServingNormalize.servedList({ served: [SERVED] })).toEqual([SERVED]);
  });

  it('tells predictions from none, null predictions included', () => {
    const withNull = ServingNormalize.predictResult({
      status: 200,
      latency_ms: 3.5,
      predictions: null
    });
    expect(withNull.has_predictions).toBe(true);
    expect(withNull.predictions).toBeNull();
    const rejected = ServingNormalize.predictResult({
      status: 400,
      latency_ms: 2,
      error: { error_code: 'BAD_REQUEST', message: 'Missing column' }
    });
    expect(rejected).toEqual({
      status: 400,
      latency_ms: 2,
      has_predictions: false,
      predictions: undefined,
      error: { error_code: 'BAD_REQUEST', message: 'Missing column' }
    });
  });

  it('keeps an error that is only text', () => {
    expect(ServingNormalize.error('boom')).toEqual({
      error_code: '',
      message: 'boom'
    });
    expect(ServingNormalize.error(null)).toBeNull();
  });
});

describe('ServingClient', () => {
  let server: FakeServer;
  let client: ServingClient;

  beforeEach(() => {
    server = new FakeServer();
    client = new ServingClient({ serverSettings: server.serverSettings });
  });

  it('lists the served models', async () => {
    server.handler = () => json({ served: [SERVED] });
    const served = await client.list();
    expect(server.requests[0].method).toBe('GET');
    expect(server.requests[0].url).toBe(`${BASE_URL}trackside/api/serving`);
    expect(served).toEqual([SERVED]);
  });

  it('starts a version with a JSON body', async () => {
    server.handler = () =>
      json({ served: { ...SERVED, state: 'starting' } }, 202);
    const served = await client.start('tracking-quickstart', '1');
    const request = server.requests[0];
    expect(request.method).toBe('POST');
    expect(request.endpoint).toBe('serving');
    expect(request.body).toEqual({ name: 'tracking-quickstart', version: '1' });
    expect(request.headers.get('Content-Type')).toBe('application/json');
    expect(served.state).toBe('starting');
  });

  it('stops one by its encoded id', async () => {
    server.handler = () => json({ served: { ...SERVED, state: 'stopped' } });
    const served = await client.stop('a/b');
    expect(server.requests[0].method).toBe('DELETE');
    expect(server.requests[0].endpoint).toBe('serving/a%2Fb');
    expect(served.state).toBe('stopped');
  });

  it('posts the payload as it is to predict', async () => {
    const payload = { dataframe_split: { columns: ['x'], data: [[1]] } };
    server.handler = () =>
      json({ status: 200, latency_ms: 4.2, predictions: [0] });
    const result = await client.predict('s1', payload);
    expect(server.requests[0].method).toBe('POST');
    expect(server.requests[0].endpoint).toBe('serving/s1/predict');
    expect(server.requests[0].body).toEqual(payload);
    expect(result.predictions).toEqual([0]);
    expect(result.latency_ms).toBe(4.2);
  });

  it('rejects with the MLflow-shaped error of a refused request', async () => {
    server.handler = () =>
      json(
        { error_code: 'PERMISSION_DENIED', message: 'Serving is not allowed' },
        403
      );
    const failure = await client.start('m', '1').catch(reason => reason);
    expect(failure).toBeInstanceOf(TracksideRequestError);
    expect(failure.status).toBe(403);
    expect(failure.errorCode).toBe('PERMISSION_DENIED');
    expect(failure.message).toBe('Serving is not allowed');
  });

  it('rejects an answer that is not JSON', async () => {
    server.handler = () => new Response('<html>', { status: 200 });
    const failure = await client.list().catch(reason => reason);
    expect(failure.errorCode).toBe(TracksideRequestError.INVALID_RESPONSE);
  });
});
