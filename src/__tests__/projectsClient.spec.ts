import { ProjectsClient } from '../services/projectsClient';
import { ProjectsNormalize } from '../services/projectsNormalize';
import { TracksideRequestError } from '../services/request';
import { FakeServer, json } from './fakeServer';
import { execution } from './projectsFakeClient';

describe('ProjectsClient', () => {
  let server: FakeServer;
  let client: ProjectsClient;

  beforeEach(() => {
    server = new FakeServer();
    client = new ProjectsClient({ serverSettings: server.serverSettings });
  });

  it('asks for the spec of a directory', async () => {
    server.handler = () =>
      json({
        project: {
          name: 'p',
          environment: { kind: 'python_env', value: 'python_env.yaml' },
          entry_points: [
            {
              name: 'main',
              command: 'python a.py {n}',
              parameters: [{ name: 'n', type: 'int', default: '3' }]
            }
          ]
        },
        path: 'examples/1-MLproject',
        env_managers: { local: true, uv: false }
      });
    const answer = await client.spec('examples/1-MLproject');
    expect(server.requests[0].endpoint).toBe('projects/spec');
    expect(server.requests[0].query).toEqual({ path: 'examples/1-MLproject' });
    expect(answer.project.entry_points[0].parameters[0]).toEqual({
      name: 'n',
      type: 'int',
      default: '3'
    });
    expect(answer.env_managers).toEqual({ local: true, uv: false });
  });

  it('starts an execution with a JSON body and no undefined fields', async () => {
    server.handler = () => json({ execution: execution() }, 202);
    const started = await client.start({
      path: 'p',
      entry_point: 'main',
      parameters: { n: '3; rm -rf /' },
      env_manager: 'local'
    });
    expect(server.requests[0].method).toBe('POST');
    expect(server.requests[0].endpoint).toBe('projects/executions');
    expect(server.requests[0].body).toEqual({
      path: 'p',
      entry_point: 'main',
      parameters: { n: '3; rm -rf /' },
      env_manager: 'local'
    });
    expect(started).toEqual(execution());
  });

  it('long-polls output from an offset', async () => {
    server.handler = () =>
      json({ output: 'a\n', offset: 12, start: 0, done: false });
    const answer = await client.output('0123456789abcdef', 10, { wait: 20 });
    expect(server.requests[0].endpoint).toBe(
      'projects/executions/0123456789abcdef/output'
    );
    expect(server.requests[0].query).toEqual({ offset: '10', wait: '20' });
    expect(answer).toEqual({
      output: 'a\n',
      offset: 12,
      start: 0,
      done: false
    });
  });

  it('stops with DELETE and lists with GET', async () => {
    server.handler = r =>
      r.method === 'DELETE'
        ? json({ execution: execution({ state: 'stopped' }) })
        : json({ executions: [execution()] });
    expect((await client.stop('0123456789abcdef')).state).toBe('stopped');
    expect(server.requests[0].method).toBe('DELETE');
    expect(await client.executions()).toEqual([execution()]);
  });

  it('rejects with the server message of a refused MLproject', async () => {
    server.handler = () =>
      json(
        {
          error_code: 'INVALID_PARAMETER_VALUE',
          message: 'MLproject line 7: unknown field',
          line: 7
        },
        400
      );
    await expect(client.spec('p')).rejects.toEqual(
      expect.objectContaining({
        status: 400,
        message: 'MLproject line 7: unknown field'
      })
    );
    await expect(client.spec('p')).rejects.toBeInstanceOf(
      TracksideRequestError
    );
  });
});

describe('ProjectsNormalize', () => {
  it('shows an unknown state as failed, saying which', () => {
    const normalized = ProjectsNormalize.execution({ id: 'x', state: 'lost' });
    expect(normalized.state).toBe('failed');
    expect(normalized.message).toBe('Unknown state: lost');
    expect(normalized.env_manager).toBe('local');
    expect(normalized.parameters).toEqual({});
  });

  it('keeps the requested offset when the answer has none', () => {
    expect(ProjectsNormalize.output({}, 42)).toEqual({
      output: '',
      offset: 42,
      start: 0,
      done: false
    });
  });
});
