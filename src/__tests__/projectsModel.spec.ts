import { ExecutionsModel } from '../panels/projects/executions';
import { ProjectModel } from '../panels/projects/model';
import { ExecutionOutput } from '../panels/projects/output';
import { TracksideRequestError } from '../services/request';
import { waitFor } from './fakeServer';
import {
  execution,
  FakeProjectsClient,
  FakeSource
} from './projectsFakeClient';

const TEXT = `name: house-prices
entry_points:
  main:
    parameters:
      n_estimators: {type: int, default: 100}
      alpha: {type: float, default: 0.5}
    command: python train.py {n_estimators} {alpha}
  search:
    parameters:
      max_runs: {type: int, default: 4}
    command: python search.py {max_runs}
`;

describe('ProjectModel', () => {
  let client: FakeProjectsClient;
  let source: FakeSource;
  let model: ProjectModel;

  beforeEach(() => {
    client = new FakeProjectsClient();
    source = new FakeSource(TEXT);
    model = new ProjectModel({
      client,
      source,
      path: 'examples/1-MLproject/MLproject',
      executions: new ExecutionsModel({
        client,
        path: 'examples/1-MLproject',
        createOutput: id => new ExecutionOutput({ client, id, retryDelay: 10 })
      })
    });
  });

  afterEach(() => model.dispose());

  it('reads the text, fills the form with defaults and previews the command', () => {
    expect(model.projectPath).toBe('examples/1-MLproject');
    expect(model.entryPoint?.name).toBe('main');
    expect(model.values).toEqual({ n_estimators: '100', alpha: '0.5' });
    expect(model.experimentName).toBe('house-prices');
    expect(model.command).toBe(
      'mlflow run . -e main -P n_estimators=100 -P alpha=0.5 --env-manager local --experiment-name house-prices'
    );
    expect(model.canRun).toBe(true);
  });

  it('reads the text again when it changes, keeping edited values', () => {
    const changed = jest.fn();
    model.changed.connect(changed);
    model.setValue('n_estimators', '50');
    source.set(TEXT.replace('default: 0.5', 'default: 0.25'));
    expect(changed).toHaveBeenCalled();
    expect(model.values).toEqual({ n_estimators: '50', alpha: '0.25' });
    source.set(TEXT.replace('type: float', 'type: double'));
    expect(model.parsed.ok).toBe(false);
    expect(!model.parsed.ok && model.parsed.error.line).toBe(6);
    expect(model.canRun).toBe(false);
  });

  it('disables Run while a value is invalid and says why', () => {
    model.setValue('n_estimators', '5.5');
    expect(model.errors).toEqual({
      n_estimators: 'must be an integer, e.g. 100'
    });
    expect(model.canRun).toBe(false);
    model.setValue('n_estimators', '7');
    expect(model.canRun).toBe(true);
  });

  it('keeps the values of each entry point', () => {
    model.setValue('n_estimators', '50');
    model.selectEntryPoint('search');
    expect(model.values).toEqual({ max_runs: '4' });
    expect(model.command).toContain('-e search -P max_runs=4');
    model.selectEntryPoint('main');
    expect(model.values.n_estimators).toBe('50');
  });

  it('offers installed environment managers only', async () => {
    await waitFor(() => model.envManagers !== null);
    expect(model.isEnvManagerAvailable('uv')).toBe(true);
    expect(model.isEnvManagerAvailable('conda')).toBe(false);
    model.setEnvManager('conda');
    expect(model.envManager).toBe('local');
    model.setEnvManager('uv');
    expect(model.command).toContain('--env-manager uv');
  });

  it('starts the form as it is and selects the new execution', async () => {
    model.setValue('n_estimators', '50');
    model.setExperimentName('houses');
    await model.run();
    expect(client.started).toEqual([
      {
        path: 'examples/1-MLproject',
        entry_point: 'main',
        parameters: { n_estimators: '50', alpha: '0.5' },
        env_manager: 'local',
        experiment_name: 'houses'
      }
    ]);
    expect(model.executions.selectedId).toBe('0123456789abcdef');
    expect(model.executions.output?.id).toBe('0123456789abcdef');
    expect(model.runError).toBeNull();
  });

  it('shows why the server refused a run', async () => {
    client.startAnswer = new TracksideRequestError({
      status: 400,
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: 'MLproject line 5: bad'
    });
    await model.run();
    expect(model.runError).toBe('MLproject line 5: bad');
    expect(model.isStarting).toBe(false);
    expect(model.executions.selectedId).toBeNull();
  });

  it('stops following the text when disposed', () => {
    model.dispose();
    expect(model.executions.isDisposed).toBe(true);
    source.set('');
    expect(model.parsed.ok).toBe(true);
  });
});

describe('ExecutionsModel', () => {
  let client: FakeProjectsClient;
  let visible: boolean;
  let model: ExecutionsModel;

  beforeEach(() => {
    client = new FakeProjectsClient();
    visible = true;
  });

  afterEach(() => model?.dispose());

  const create = () =>
    (model = new ExecutionsModel({
      client,
      path: './examples/1-MLproject/',
      isVisible: () => visible,
      activeInterval: 20,
      idleInterval: 10_000,
      createOutput: id => new ExecutionOutput({ client, id })
    }));

  it('lists this project only and selects the newest', async () => {
    client.list = [
      execution({ id: 'a'.repeat(16), state: 'finished' }),
      execution({ id: 'b'.repeat(16), path: 'other' }),
      execution({ id: 'c'.repeat(16), state: 'failed' })
    ];
    create();
    await waitFor(() => model.executions !== null);
    expect(model.executions!.map(e => e.id)).toEqual([
      'a'.repeat(16),
      'c'.repeat(16)
    ]);
    expect(model.selectedId).toBe('a'.repeat(16));
    expect(model.output?.id).toBe('a'.repeat(16));
    expect(model.interval).toBe(10_000);
  });

  it('polls faster while one runs, and slower once it ended', async () => {
    client.list = [execution({ state: 'running' })];
    create();
    await waitFor(() => model.interval === 20);
    const calls = client.executionsCalls;
    await waitFor(() => client.executionsCalls >= calls + 3);
    client.list = [execution({ state: 'finished', exit_code: 0 })];
    await waitFor(() => model.interval === 10_000);
    expect(model.hasActive).toBe(false);
  });

  it('stands by while the view is hidden', async () => {
    client.list = [execution({ state: 'running' })];
    create();
    await waitFor(() => model.interval === 20);
    visible = false;
    await new Promise(resolve => setTimeout(resolve, 60));
    const calls = client.executionsCalls;
    await new Promise(resolve => setTimeout(resolve, 120));
    expect(client.executionsCalls).toBe(calls);
    visible = true;
    model.visibilityChanged();
    await waitFor(() => client.executionsCalls > calls);
  });

  it('stops an execution and shows it stopped', async () => {
    client.list = [execution({ state: 'running' })];
    create();
    await waitFor(() => model.executions !== null);
    const stopping = model.stop('0123456789abcdef');
    expect(model.isStopping('0123456789abcdef')).toBe(true);
    client.list = [execution({ state: 'stopped', exit_code: -15 })];
    await stopping;
    expect(client.stopped).toEqual(['0123456789abcdef']);
    expect(model.executions![0].state).toBe('stopped');
    expect(model.isStopping('0123456789abcdef')).toBe(false);
  });

  it('stops polling and reading output when disposed', async () => {
    client.list = [execution({ state: 'running' })];
    create();
    await waitFor(() => client.outputRequests.length === 1);
    const output = model.output!;
    model.dispose();
    expect(output.isDisposed).toBe(true);
    expect(client.outputRequests[0].signal?.aborted).toBe(true);
    const calls = client.executionsCalls;
    await new Promise(resolve => setTimeout(resolve, 80));
    expect(client.executionsCalls).toBe(calls);
  });
});

describe('ExecutionOutput', () => {
  let client: FakeProjectsClient;

  beforeEach(() => {
    client = new FakeProjectsClient();
  });

  const answer = async (
    output: string,
    offset: number,
    start = 0,
    done = false
  ) => {
    await waitFor(() => client.outputRequests.length > 0);
    client.outputRequests.shift()!.resolve({ output, offset, start, done });
  };

  it('reads from 0, announces whole lines and holds a partial one', async () => {
    const reader = new ExecutionOutput({ client, id: 'e1' });
    const pieces: string[] = [];
    reader.appended.connect((_, text) => pieces.push(text));
    await waitFor(() => client.outputRequests.length === 1);
    expect(client.outputRequests[0].offset).toBe(0);
    await answer('line 1\nline', 12);
    await waitFor(() => client.outputRequests.length === 1);
    expect(client.outputRequests[0].offset).toBe(12);
    expect(pieces).toEqual(['line 1\n']);
    await answer(' 2\nend', 18, 0, true);
    await reader.reading;
    expect(pieces).toEqual(['line 1\n', 'line 2\nend']);
    expect(reader.text).toBe('line 1\nline 2\nend');
    expect(reader.done).toBe(true);
    expect(reader.dropped).toBe(false);
    reader.dispose();
  });

  it('says earlier output was dropped when the server kept less', async () => {
    const reader = new ExecutionOutput({ client, id: 'e1' });
    await answer('kept\n', 5000, 4995, true);
    await reader.reading;
    expect(reader.dropped).toBe(true);
    expect(reader.text).toBe('kept\n');
  });

  it('keeps at most maxChars, cut at a line start', async () => {
    const reader = new ExecutionOutput({ client, id: 'e1', maxChars: 20 });
    await answer('0123456789\n', 11);
    expect(reader.dropped).toBe(false);
    await answer('abcdefghij\nABCDE\n', 28, 0, true);
    await reader.reading;
    expect(reader.text).toBe('abcdefghij\nABCDE\n');
    expect(reader.dropped).toBe(true);
  });

  it('retries after a failure and stops for an unknown execution', async () => {
    const reader = new ExecutionOutput({ client, id: 'e1', retryDelay: 5 });
    await waitFor(() => client.outputRequests.length === 1);
    client.outputRequests.shift()!.reject(new Error('network down'));
    await waitFor(() => reader.error === 'network down');
    await waitFor(() => client.outputRequests.length === 1);
    client.outputRequests.shift()!.reject(
      new TracksideRequestError({
        status: 404,
        errorCode: 'RESOURCE_DOES_NOT_EXIST',
        message: 'no execution e1'
      })
    );
    await reader.reading;
    expect(reader.error).toBe('no execution e1');
    expect(client.outputRequests).toHaveLength(0);
  });
});
