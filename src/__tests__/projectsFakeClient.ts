import { ServerConnection } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';
import {
  IExecutionOutput,
  IProjectExecution,
  IProjectsClient,
  IProjectSpecAnswer,
  IStartExecutionOptions
} from '../tokens';

/**
 * An execution with every field, for fakes.
 */
export function execution(
  fields: Partial<IProjectExecution> = {}
): IProjectExecution {
  return {
    id: '0123456789abcdef',
    path: 'examples/1-MLproject',
    project_name: 'house-prices',
    entry_point: 'main',
    parameters: { n_estimators: '50' },
    experiment_name: 'house-prices',
    env_manager: 'local',
    command: 'mlflow run . -e main -P n_estimators=50 --env-manager local',
    state: 'running',
    exit_code: null,
    run_id: null,
    created: 1_700_000_000_000,
    started: 1_700_000_000_000,
    ended: null,
    message: '',
    ...fields
  };
}

/**
 * A projects client whose answers the test controls; it records calls.
 */
export class FakeProjectsClient implements IProjectsClient {
  readonly serverSettings = ServerConnection.makeSettings();

  specAnswer: IProjectSpecAnswer | Error = {
    project: {
      name: 'p',
      environment: { kind: 'none', value: '' },
      entry_points: []
    },
    path: 'examples/1-MLproject',
    env_managers: { local: true, virtualenv: false, uv: true, conda: false }
  };
  list: IProjectExecution[] = [];
  startAnswer: IProjectExecution | Error = execution();
  readonly started: IStartExecutionOptions[] = [];
  readonly stopped: string[] = [];
  executionsCalls = 0;

  /**
   * Output requests wait here until the test answers them.
   */
  readonly outputRequests: {
    id: string;
    offset: number;
    signal: AbortSignal | undefined;
    resolve: (answer: IExecutionOutput) => void;
    reject: (reason: unknown) => void;
  }[] = [];
  readonly outputRequested = new Signal<this, void>(this);

  async spec(): Promise<IProjectSpecAnswer> {
    if (this.specAnswer instanceof Error) {
      throw this.specAnswer;
    }
    return this.specAnswer;
  }

  async executions(): Promise<IProjectExecution[]> {
    this.executionsCalls += 1;
    return [...this.list];
  }

  async start(options: IStartExecutionOptions): Promise<IProjectExecution> {
    this.started.push(options);
    if (this.startAnswer instanceof Error) {
      throw this.startAnswer;
    }
    return this.startAnswer;
  }

  async execution(id: string): Promise<IProjectExecution> {
    return this.list.find(e => e.id === id) ?? execution({ id });
  }

  output(
    id: string,
    offset: number,
    options: IProjectsClient.IOutputOptions = {}
  ): Promise<IExecutionOutput> {
    return new Promise((resolve, reject) => {
      this.outputRequests.push({
        id,
        offset,
        signal: options.signal,
        resolve,
        reject
      });
      options.signal?.addEventListener('abort', () =>
        reject(new DOMException('aborted', 'AbortError'))
      );
      this.outputRequested.emit(undefined);
    });
  }

  async stop(id: string): Promise<IProjectExecution> {
    this.stopped.push(id);
    const found = this.list.find(e => e.id === id) ?? execution({ id });
    return { ...found, state: 'stopped', exit_code: -15 };
  }
}

/**
 * A document's text, as the context model provides it.
 */
export class FakeSource {
  constructor(public text: string) {}
  readonly contentChanged = new Signal<this, void>(this);
  toString(): string {
    return this.text;
  }
  set(text: string): void {
    this.text = text;
    this.contentChanged.emit(undefined);
  }
}
