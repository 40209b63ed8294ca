import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretRightIcon,
  UseSignal
} from '@jupyterlab/ui-components';
import * as React from 'react';
import { RunsModel } from './model';
import { IExperiment } from '../../tokens';
import { Format } from '../../models/format';
import { useNow } from '../../widgets/hooks';
import { OpenExperimentButton } from '../../widgets/openExperimentButton';
import { ColumnPicker } from './columnPicker';
import { RunsFilter } from './runsFilter';
import { RunsStatus } from './runsStatus';
import { RunsTable } from './runsTable';

/**
 * The refresh period of relative times ("5 min ago"), in milliseconds.
 */
const RELATIVE_TIME_PERIOD = 30_000;

/**
 * The properties of the experiment list.
 */
export interface IExperimentListProps {
  model: RunsModel;
  experiments: ReadonlyArray<IExperiment>;
  trans: TranslationBundle;
}

/**
 * The experiments, each one expandable to show its runs.
 */
export function ExperimentList(props: IExperimentListProps): JSX.Element {
  const { model, experiments, trans } = props;
  return (
    <>
      <UseSignal signal={model.selection.changed}>
        {() => <SelectionBar model={model} trans={trans} />}
      </UseSignal>
      <ul
        className="jp-Trackside-ExperimentList"
        aria-label={trans.__('Experiments')}
      >
        {experiments.map(experiment => (
          <ExperimentItem
            key={experiment.experiment_id}
            model={model}
            experiment={experiment}
            trans={trans}
          />
        ))}
      </ul>
    </>
  );
}

/**
 * The runs selected for comparison (across experiments) and the Compare
 * button, shown once a run is selected.
 */
function SelectionBar(props: {
  model: RunsModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  const selection = model.selection.ids;
  if (selection.length === 0) {
    return null;
  }
  return (
    <div
      className="jp-Trackside-SelectionBar"
      role="group"
      aria-label={trans.__('Selected runs')}
    >
      <span className="jp-Trackside-SelectionCount" role="status">
        {selection.length === 1
          ? trans.__('1 run selected; select another to compare')
          : trans._n('%1 run selected', '%1 runs selected', selection.length)}
      </span>
      {selection.length >= 2 && (
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-accept jp-Trackside-CompareButton"
          onClick={() => model.connection.showCompare(selection)}
        >
          {trans.__('Compare (%1)', selection.length)}
        </button>
      )}
      <button
        type="button"
        className="jp-Button jp-mod-styled jp-mod-reject jp-Trackside-ClearSelection"
        onClick={() => model.selection.clear()}
      >
        {trans.__('Clear')}
      </button>
    </div>
  );
}

/**
 * The properties of an experiment's item and of its runs.
 */
interface IExperimentProps {
  model: RunsModel;
  experiment: IExperiment;
  trans: TranslationBundle;
}

/**
 * One experiment: a disclosure button and, when expanded, its runs.
 */
function ExperimentItem(props: IExperimentProps): JSX.Element {
  const { model, experiment, trans } = props;
  const id = experiment.experiment_id;
  const runsId = React.useId();
  const updatedId = React.useId();
  const name = experiment.name || id;

  return (
    <UseSignal
      signal={model.runsChanged}
      shouldUpdate={(_, changed) => changed === id}
    >
      {() => {
        const expanded = model.isExpanded(id);
        const Caret = expanded ? caretDownIcon : caretRightIcon;
        return (
          <li className="jp-Trackside-Experiment" data-experiment-id={id}>
            <div className="jp-Trackside-ExperimentHeader">
              <button
                type="button"
                className="jp-Trackside-ExperimentToggle"
                aria-expanded={expanded}
                aria-controls={expanded ? runsId : undefined}
                aria-describedby={
                  experiment.last_update_time !== null ? updatedId : undefined
                }
                title={name}
                onClick={() => model.setExpanded(id, !expanded)}
              >
                <span className="jp-Trackside-Caret" aria-hidden="true">
                  <Caret.react tag="span" />
                </span>
                <span className="jp-Trackside-ExperimentName">{name}</span>
              </button>
              <OpenExperimentButton
                connection={model.connection}
                experimentId={id}
                name={name}
                trans={trans}
              />
              {experiment.last_update_time !== null && (
                <ExperimentUpdated
                  id={updatedId}
                  model={model}
                  time={experiment.last_update_time}
                  trans={trans}
                />
              )}
            </div>
            {expanded && (
              <div id={runsId} className="jp-Trackside-ExperimentRuns">
                <ExperimentRuns
                  model={model}
                  experiment={experiment}
                  trans={trans}
                />
              </div>
            )}
          </li>
        );
      }}
    </UseSignal>
  );
}

/**
 * The relative time of an experiment's last update (absolute in the tooltip),
 * kept current while the panel is visible.
 */
function ExperimentUpdated(props: {
  id: string;
  model: RunsModel;
  time: number;
  trans: TranslationBundle;
}): JSX.Element {
  const { model } = props;
  return (
    <UseSignal
      signal={model.connection.activeChanged}
      initialArgs={model.connection.isActive}
    >
      {(_, isActive) => <UpdatedTime {...props} isActive={isActive ?? false} />}
    </UseSignal>
  );
}

/**
 * The relative time, ticking while `isActive`.
 */
function UpdatedTime(props: {
  id: string;
  time: number;
  isActive: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const { id, time, isActive, trans } = props;
  const now = useNow(isActive, RELATIVE_TIME_PERIOD);
  return (
    <time
      id={id}
      className="jp-Trackside-ExperimentMeta"
      dateTime={new Date(time).toISOString()}
      title={trans.__('Last updated %1', Format.dateTime(time))}
    >
      {Format.relativeTime(time, now, trans)}
    </time>
  );
}

/**
 * The runs of an expanded experiment: the filter box, the column picker,
 * the table and the run count.
 */
function ExperimentRuns(props: IExperimentProps): JSX.Element {
  const { model, experiment, trans } = props;
  const id = experiment.experiment_id;
  const name = experiment.name || id;
  const state = model.runs(id);
  const runs = state?.runs ?? null;
  const table = model.tableModel(id);
  const filter = model.filter(id);
  const loadMore = React.useCallback(
    () => void model.loadMore(id),
    [model, id]
  );

  return (
    <>
      {(filter ||
        (runs !== null && runs.length > 0) ||
        model.filterError(id)) && (
        <div className="jp-Trackside-RunsControls">
          <RunsFilter
            model={model}
            experimentId={id}
            experimentName={name}
            trans={trans}
          />
          <ColumnPicker table={table} trans={trans} />
        </div>
      )}
      <RunsStatus
        runs={runs}
        isLoading={state?.isLoading}
        error={state?.error}
        emptyText={
          filter
            ? trans.__('No runs match the filter.')
            : trans.__('No runs in this experiment yet.')
        }
        trans={trans}
      />
      {runs !== null && runs.length > 0 && (
        <>
          <UseSignal signal={model.connection.activeChanged}>
            {() => (
              <RunsTable
                model={model}
                table={table}
                experimentId={id}
                label={trans.__('Runs of %1', name)}
                isLive={model.connection.isActive}
                isBusy={state?.isLoading}
                onNearEnd={state?.canLoadMore ? loadMore : undefined}
                trans={trans}
              />
            )}
          </UseSignal>
          <p className="jp-Trackside-RunCount" role="status">
            {state?.isLoading
              ? trans._n(
                  '%1 run loaded, loading more…',
                  '%1 runs loaded, loading more…',
                  runs.length
                )
              : state?.canLoadMore
                ? trans._n(
                    '%1 run loaded, more as you scroll',
                    '%1 runs loaded, more as you scroll',
                    runs.length
                  )
                : state?.isComplete === false
                  ? trans._n(
                      'The %1 most recent run (the limit of the "Runs per experiment" setting)',
                      'The %1 most recent runs (the limit of the "Runs per experiment" setting)',
                      runs.length
                    )
                  : filter
                    ? trans._n(
                        '%1 matching run',
                        '%1 matching runs',
                        runs.length
                      )
                    : trans._n('%1 run', '%1 runs', runs.length)}
          </p>
        </>
      )}
    </>
  );
}
