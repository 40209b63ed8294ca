import {
  ExecutionState,
  IExecutionOutput,
  IProjectEntryPoint,
  IProjectExecution,
  IProjectParameter,
  IProjectSpec,
  IProjectSpecAnswer,
  PROJECT_PARAMETER_TYPES,
  ProjectEnvironmentKind
} from '../tokens';
import { Normalize } from './normalize';

/**
 * Normalisers from the projects endpoints' JSON (`/trackside/api/projects`)
 * to the typed project entities: missing or mistyped fields become empty
 * strings, `null`s and known states, never `undefined`.
 */
export namespace ProjectsNormalize {
  /**
   * The states an execution can be in.
   */
  export const STATES: ReadonlyArray<ExecutionState> = [
    'queued',
    'running',
    'finished',
    'failed',
    'stopped'
  ];

  /**
   * The environment kinds of an MLproject.
   */
  export const ENVIRONMENTS: ReadonlyArray<ProjectEnvironmentKind> = [
    'python_env',
    'conda_env',
    'docker_env',
    'none'
  ];

  /**
   * Normalise the answer of `GET projects/spec`.
   */
  export function specAnswer(value: unknown): IProjectSpecAnswer {
    const raw = Normalize.record(value);
    const managers: Record<string, boolean> = {};
    for (const [name, ok] of Object.entries(
      Normalize.record(raw.env_managers)
    )) {
      managers[name] = ok === true;
    }
    return {
      project: spec(raw.project),
      path: Normalize.string(raw.path),
      env_managers: managers
    };
  }

  /**
   * Normalise a project spec.
   */
  export function spec(value: unknown): IProjectSpec {
    const raw = Normalize.record(value);
    const environment = Normalize.record(raw.environment);
    return {
      name: Normalize.string(raw.name),
      environment: {
        kind: Normalize.oneOf(environment.kind, ENVIRONMENTS, 'none'),
        value: Normalize.string(environment.value)
      },
      entry_points: Normalize.array(raw.entry_points).map(entryPoint)
    };
  }

  /**
   * Normalise an entry point.
   */
  export function entryPoint(value: unknown): IProjectEntryPoint {
    const raw = Normalize.record(value);
    return {
      name: Normalize.string(raw.name),
      command: Normalize.string(raw.command),
      parameters: Normalize.array(raw.parameters).map(parameter)
    };
  }

  /**
   * Normalise a parameter.
   */
  export function parameter(value: unknown): IProjectParameter {
    const raw = Normalize.record(value);
    return {
      name: Normalize.string(raw.name),
      type: Normalize.oneOf(raw.type, PROJECT_PARAMETER_TYPES, 'string'),
      default:
        raw.default === null || raw.default === undefined
          ? null
          : Normalize.string(raw.default)
    };
  }

  /**
   * Normalise an execution.
   */
  export function execution(value: unknown): IProjectExecution {
    const raw = Normalize.record(value);
    const state = STATES.find(s => s === raw.state);
    const parameters: Record<string, string> = {};
    for (const [name, v] of Object.entries(Normalize.record(raw.parameters))) {
      parameters[name] = Normalize.string(v);
    }
    return {
      id: Normalize.string(raw.id),
      path: Normalize.string(raw.path),
      project_name: Normalize.string(raw.project_name),
      entry_point: Normalize.string(raw.entry_point),
      parameters,
      experiment_name: Normalize.stringOrNull(raw.experiment_name) || null,
      env_manager: Normalize.string(raw.env_manager) || 'local',
      command: Normalize.string(raw.command),
      // An unknown state cannot be followed: show it as failed, with why.
      state: state ?? 'failed',
      exit_code: Normalize.finiteOrNull(raw.exit_code),
      run_id: Normalize.stringOrNull(raw.run_id) || null,
      created: Normalize.finiteOrNull(raw.created),
      started: Normalize.finiteOrNull(raw.started),
      ended: Normalize.finiteOrNull(raw.ended),
      message:
        Normalize.string(raw.message) ||
        (state ? '' : `Unknown state: ${Normalize.string(raw.state)}`)
    };
  }

  /**
   * Normalise the list answer `{executions: [...]}`.
   */
  export function executions(value: unknown): IProjectExecution[] {
    return Normalize.array(Normalize.record(value).executions).map(execution);
  }

  /**
   * Normalise an output answer; `offset` is where it was read from.
   */
  export function output(value: unknown, offset: number): IExecutionOutput {
    const raw = Normalize.record(value);
    const next = Normalize.finiteOrNull(raw.offset) ?? offset;
    return {
      output: Normalize.string(raw.output),
      offset: next,
      start: Normalize.finiteOrNull(raw.start) ?? 0,
      done: raw.done === true
    };
  }
}
