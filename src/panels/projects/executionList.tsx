import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { Format } from '../../models/format';
import { ExecutionState, IProjectExecution } from '../../tokens';
import { ExecutionsModel } from './executions';

/**
 * The project's executions: entry point, parameters, state, exit code,
 * duration, the MLflow run it created, and Stop while it is queued or
 * running. Selecting one shows its output. Strings from the server are
 * React text nodes.
 */
export function ExecutionList(props: {
  model: ExecutionsModel;
  openRun: ((runId: string) => void) | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, openRun, trans } = props;
  const executions = model.executions;
  if (executions === null) {
    return (
      <p className="jp-Trackside-Placeholder">
        {model.error ? null : trans.__('Loading runs of this project…')}
      </p>
    );
  }
  if (executions.length === 0) {
    return (
      <p className="jp-Trackside-Placeholder">
        {trans.__('This project has not been run from here yet.')}
      </p>
    );
  }
  const now = Date.now();
  return (
    <table className="jp-Trackside-ProjectExecutions">
      <caption>{trans.__('Runs of this project')}</caption>
      <thead>
        <tr>
          <th scope="col">{trans.__('Entry point')}</th>
          <th scope="col">{trans.__('Parameters')}</th>
          <th scope="col">{trans.__('Status')}</th>
          <th scope="col">{trans.__('Exit code')}</th>
          <th scope="col">{trans.__('Duration')}</th>
          <th scope="col">{trans.__('MLflow run')}</th>
          <th scope="col">
            <span className="jp-Trackside-VisuallyHidden">
              {trans.__('Actions')}
            </span>
          </th>
        </tr>
      </thead>
      <tbody>
        {executions.map(execution => (
          <ExecutionRow
            key={execution.id}
            execution={execution}
            model={model}
            openRun={openRun}
            now={now}
            trans={trans}
          />
        ))}
      </tbody>
    </table>
  );
}

function ExecutionRow(props: {
  execution: IProjectExecution;
  model: ExecutionsModel;
  openRun: ((runId: string) => void) | null;
  now: number;
  trans: TranslationBundle;
}): JSX.Element {
  const { execution, model, openRun, now, trans } = props;
  const selected = model.selectedId === execution.id;
  const parameters = Object.entries(execution.parameters)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const duration =
    execution.started === null
      ? null
      : Math.max(0, (execution.ended ?? now) - execution.started);
  const stopError = model.stopError(execution.id);
  const stopping = model.isStopping(execution.id);
  return (
    <tr
      className={`jp-Trackside-ProjectExecution${selected ? ' jp-mod-selected' : ''}`}
      aria-selected={selected}
    >
      <td>
        <button
          type="button"
          className="jp-Button jp-mod-minimal jp-Trackside-ProjectExecutionSelect"
          aria-pressed={selected}
          aria-label={trans.__('Show the output of %1', execution.entry_point)}
          title={execution.command}
          onClick={() => model.select(execution.id)}
        >
          {execution.entry_point}
        </button>
      </td>
      <td className="jp-Trackside-ProjectExecutionParams">{parameters}</td>
      <td>
        <span
          className={`jp-Trackside-ProjectState jp-mod-${execution.state}`}
          title={execution.message || undefined}
        >
          {executionStateLabel(execution.state, trans)}
        </span>
        {stopError ? (
          <span className="jp-Trackside-ProjectError" role="alert">
            {stopError}
          </span>
        ) : null}
      </td>
      <td>{execution.exit_code === null ? '' : String(execution.exit_code)}</td>
      <td>{duration === null ? '' : Format.duration(duration, trans)}</td>
      <td>
        {execution.run_id && openRun ? (
          <button
            type="button"
            className="jp-Button jp-mod-minimal jp-Trackside-ProjectRunLink"
            aria-label={trans.__('Open run %1 in Trackside', execution.run_id)}
            onClick={() => openRun(execution.run_id!)}
          >
            {execution.run_id.slice(0, 8)}
          </button>
        ) : (
          (execution.run_id?.slice(0, 8) ?? '')
        )}
      </td>
      <td>
        {ExecutionsModel.isActive(execution) ? (
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-reject"
            aria-label={trans.__('Stop %1', execution.entry_point)}
            disabled={stopping}
            onClick={() => void model.stop(execution.id)}
          >
            {stopping ? trans.__('Stopping…') : trans.__('Stop')}
          </button>
        ) : null}
      </td>
    </tr>
  );
}

/**
 * The translated label of an execution state.
 */
export function executionStateLabel(
  state: ExecutionState,
  trans: TranslationBundle
): string {
  switch (state) {
    case 'queued':
      return trans.__('queued');
    case 'running':
      return trans.__('running');
    case 'finished':
      return trans.__('finished');
    case 'failed':
      return trans.__('failed');
    case 'stopped':
      return trans.__('stopped');
  }
}
