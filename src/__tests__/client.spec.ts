import { ServerConnection } from '@jupyterlab/services';
import { TracksideClient, TracksideRequestError } from '../services/client';
import { BASE_URL, FakeServer, HEALTHY_STATUS, json } from './fakeServer';

describe('TracksideClient', () => {
  let server: FakeServer;
  let client: TracksideClient;

  beforeEach(() => {
    server = new FakeServer();
    client = new TracksideClient({ serverSettings: server.serverSettings });
  });

  describe('URLs', () => {
    it('honours the base URL', async () => {
      server.handler = () => json(HEALTHY_STATUS);
      const status = await client.status();
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0].method).toBe('GET');
      expect(server.requests[0].url).toBe(
        'http://localhost:8888/lab-base/trackside/api/status'
      );
      expect(status.mode).toBe('embedded');
      expect(status.healthy).toBe(true);
      expect(status.mlflow_version).toBe('3.1.0');
    });

    it('uses the base URL of its own settings', async () => {
      server.handler = () => json(HEALTHY_STATUS);
      const other = new TracksideClient({
        serverSettings: ServerConnection.makeSettings({
          baseUrl: 'http://example.test:9999/user/alice/',
          fetch: server.fetch,
          Request,
          Headers
        })
      });
      await other.status();
      expect(server.requests[0].url).toBe(
        'http://example.test:9999/user/alice/trackside/api/status'
      );
    });

    it('encodes a run id with "/" and "?" in the query', async () => {
      const runId = 'a/b?c=d&e#f';
      server.handler = () =>
        json({ run: { info: { run_id: runId }, data: {} } });
      const run = await client.getRun(runId);
      const request = server.requests[0];
      expect(request.endpoint).toBe('mlflow/runs/get');
      expect(request.url).toBe(
        `${BASE_URL}trackside/api/mlflow/runs/get?run_id=a%2Fb%3Fc%3Dd%26e%23f`
      );
      expect(request.query).toEqual({ run_id: runId });
      expect(run.info.run_id).toBe(runId);
    });

    it('encodes the metric key and artifact path', async () => {
      server.handler = () => json({});
      await client.getMetricHistory('run 1', 'loss/val?x');
      await client.listArtifacts('run 1', 'model dir/sub&1');
      expect(server.requests[0].query).toEqual({
        run_id: 'run 1',
        metric_key: 'loss/val?x'
      });
      expect(server.requests[0].url).toContain(
        'run_id=run%201&metric_key=loss%2Fval%3Fx'
      );
      expect(server.requests[1].endpoint).toBe('mlflow/artifacts/list');
      expect(server.requests[1].query).toEqual({
        run_id: 'run 1',
        path: 'model dir/sub&1'
      });
    });

    it('encodes every path segment', () => {
      const url = TracksideClient.url(
        server.serverSettings,
        ['mlflow', 'x/y?z'],
        { q: 'a b' }
      );
      expect(url).toBe(`${BASE_URL}trackside/api/mlflow/x%2Fy%3Fz?q=a%20b`);
    });
  });

  describe('POST bodies', () => {
    it('sends the experiment search as JSON', async () => {
      server.handler = () => json({ experiments: [] });
      await client.searchExperiments({
        maxResults: 10,
        orderBy: ['last_update_time DESC'],
        filter: "name LIKE 'a%'"
      });
      const request = server.requests[0];
      expect(request.method).toBe('POST');
      expect(request.endpoint).toBe('mlflow/experiments/search');
      expect(request.headers.get('Content-Type')).toBe('application/json');
      expect(request.body).toEqual({
        max_results: 10,
        order_by: ['last_update_time DESC'],
        filter: "name LIKE 'a%'"
      });
    });

    it('always sends max_results, which MLflow requires', async () => {
      server.handler = () => json({});
      await client.searchExperiments();
      await client.searchRuns({ experimentIds: ['7'] });
      expect(server.requests[0].body).toEqual({ max_results: 1000 });
      expect(server.requests[1].body).toEqual({
        experiment_ids: ['7'],
        max_results: 1000
      });
    });

    it('sends the run search as JSON', async () => {
      server.handler = () => json({});
      await client.searchRuns({
        experimentIds: ['1', '2'],
        maxResults: 50,
        orderBy: ['attributes.start_time DESC'],
        pageToken: 'tok'
      });
      expect(server.requests[0].endpoint).toBe('mlflow/runs/search');
      expect(server.requests[0].body).toEqual({
        experiment_ids: ['1', '2'],
        max_results: 50,
        order_by: ['attributes.start_time DESC'],
        page_token: 'tok'
      });
    });
  });

  describe('errors', () => {
    it('parses an MLflow JSON error', async () => {
      server.handler = () =>
        json(
          {
            error_code: 'RESOURCE_DOES_NOT_EXIST',
            message: 'Run with id=x not found'
          },
          404
        );
      const error = await client.getRun('x').catch(e => e);
      expect(error).toBeInstanceOf(TracksideRequestError);
      expect(error.status).toBe(404);
      expect(error.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(error.message).toBe('Run with id=x not found');
      expect(error.isUnreachable).toBe(false);
    });

    it('marks an unavailable backend as unreachable', async () => {
      server.handler = () =>
        json(
          {
            error_code: 'TRACKSIDE_BACKEND_UNAVAILABLE',
            message: 'MLflow cannot be reached'
          },
          502
        );
      const error = await client.searchExperiments().catch(e => e);
      expect(error).toBeInstanceOf(TracksideRequestError);
      expect(error.status).toBe(502);
      expect(error.errorCode).toBe('TRACKSIDE_BACKEND_UNAVAILABLE');
      expect(error.isUnreachable).toBe(true);
    });

    it('handles a non-JSON error page', async () => {
      server.handler = () =>
        new Response('<html>Server error</html>', {
          status: 500,
          statusText: 'Internal Server Error'
        });
      const error = await client.status().catch(e => e);
      expect(error).toBeInstanceOf(TracksideRequestError);
      expect(error.status).toBe(500);
      expect(error.errorCode).toBe('HTTP_500');
      expect(error.message).toBe('HTTP 500 Internal Server Error');
    });

    it('turns a network failure into an unreachable error', async () => {
      server.handler = () => {
        throw new TypeError('Failed to fetch');
      };
      const error = await client.status().catch(e => e);
      expect(error).toBeInstanceOf(TracksideRequestError);
      expect(error.status).toBe(0);
      expect(error.errorCode).toBe(TracksideRequestError.NETWORK_ERROR);
      expect(error.isUnreachable).toBe(true);
    });

    it('rejects a malformed JSON answer', async () => {
      server.handler = () => new Response('{not json', { status: 200 });
      const error = await client.status().catch(e => e);
      expect(error).toBeInstanceOf(TracksideRequestError);
      expect(error.errorCode).toBe(TracksideRequestError.INVALID_RESPONSE);
    });
  });

  describe('normalisation', () => {
    it('returns empty arrays when MLflow omits them', async () => {
      server.handler = () => json({});
      const experiments = await client.searchExperiments();
      const runs = await client.searchRuns({ experimentIds: ['0'] });
      expect(experiments).toEqual({ experiments: [], nextPageToken: null });
      expect(runs).toEqual({ runs: [], nextPageToken: null });
    });

    it('normalises runs: absent data, string times, run name tag', async () => {
      server.handler = () =>
        json({
          runs: [
            {
              info: {
                run_id: 'r1',
                experiment_id: '1',
                status: 'RUNNING',
                start_time: '1700000000000'
              },
              data: {
                tags: [{ key: 'mlflow.runName', value: 'brave-fox' }]
              }
            },
            {
              info: {
                run_id: 'r2',
                run_name: 'named',
                status: 'FINISHED',
                start_time: 1700000000000,
                end_time: 1700000005000
              },
              data: {
                metrics: [
                  { key: 'loss', value: 0.5, timestamp: '17', step: '3' },
                  { key: 'nan', value: 'NaN', timestamp: 1, step: 0 }
                ],
                params: [{ key: 'lr', value: '0.1' }]
              }
            }
          ],
          next_page_token: 'next'
        });
      const page = await client.searchRuns({ experimentIds: ['1'] });
      expect(page.nextPageToken).toBe('next');
      const [first, second] = page.runs;
      expect(first.info.run_name).toBe('brave-fox');
      expect(first.info.start_time).toBe(1700000000000);
      expect(first.info.end_time).toBeNull();
      expect(first.data.metrics).toEqual([]);
      expect(first.data.params).toEqual([]);
      expect(second.info.run_name).toBe('named');
      expect(second.info.end_time).toBe(1700000005000);
      expect(second.data.metrics[0]).toEqual({
        key: 'loss',
        value: 0.5,
        timestamp: 17,
        step: 3
      });
      expect(Number.isNaN(second.data.metrics[1].value)).toBe(true);
      expect(second.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
      expect(second.data.tags).toEqual([]);
    });

    it('follows metric history pages', async () => {
      server.handler = request =>
        request.query.page_token
          ? json({ metrics: [{ key: 'loss', value: 1, step: 2 }] })
          : json({
              metrics: [{ key: 'loss', value: 2, step: 1 }],
              next_page_token: 'p2'
            });
      const history = await client.getMetricHistory('r', 'loss');
      expect(history.map(m => m.step)).toEqual([1, 2]);
      expect(server.requests).toHaveLength(2);
      expect(server.requests[1].query.page_token).toBe('p2');
    });

    it('normalises an experiment', async () => {
      server.handler = () =>
        json({
          experiment: {
            experiment_id: '7',
            name: 'exp',
            last_update_time: '1700000000001'
          }
        });
      const experiment = await client.getExperiment('7');
      expect(server.requests[0].query).toEqual({ experiment_id: '7' });
      expect(experiment.last_update_time).toBe(1700000000001);
      expect(experiment.creation_time).toBeNull();
      expect(experiment.tags).toEqual([]);
    });
  });
});
