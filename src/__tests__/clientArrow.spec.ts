import { TracksideClient, TracksideRequestError } from '../services/client';
import { decodeMetricStream } from '../wire/decode';
import { BASE_URL, FakeServer, json } from './fakeServer';
import { metricStream, seriesRows } from './metricArrow';

describe('TracksideClient.getMetricHistoryArrow', () => {
  let server: FakeServer;
  let client: TracksideClient;

  beforeEach(() => {
    server = new FakeServer();
    client = new TracksideClient({ serverSettings: server.serverSettings });
  });

  it('sends every run and key, the range and max_points; returns the bytes', async () => {
    const bytes = metricStream(seriesRows('a/b', 'loss', [0, 1, 2]));
    server.handler = () =>
      new Response(bytes, {
        status: 200,
        headers: { 'Content-Type': 'application/vnd.apache.arrow.stream' }
      });
    const answer = await client.getMetricHistoryArrow({
      runIds: ['a/b', 'c&d'],
      keys: ['loss', 'val acc'],
      startStep: 0,
      endStep: 100,
      maxPoints: 500
    });
    const request = server.requests[0];
    expect(request.method).toBe('GET');
    expect(request.endpoint).toBe('metrics/history');
    expect(request.url).toBe(
      `${BASE_URL}trackside/api/metrics/history?run_id=a%2Fb&run_id=c%26d&key=loss&key=val%20acc&start_step=0&end_step=100&max_points=500`
    );
    expect(Object.prototype.toString.call(answer)).toBe('[object ArrayBuffer]');
    const [series] = await decodeMetricStream(answer);
    expect(series.runId).toBe('a/b');
    expect(Array.from(series.values)).toEqual([0, 10, 20]);
  });

  it('rejects with the server error', async () => {
    server.handler = () =>
      json(
        { error_code: 'INVALID_PARAMETER_VALUE', message: 'no run_id' },
        400
      );
    const promise = client.getMetricHistoryArrow({ runIds: [], keys: ['k'] });
    await expect(promise).rejects.toBeInstanceOf(TracksideRequestError);
    await expect(promise).rejects.toMatchObject({
      status: 400,
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: 'no run_id'
    });
  });
});
