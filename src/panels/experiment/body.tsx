import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';
import { ModelBody } from '../../widgets/modelBody';
import { processFollowingVisibility } from '../../widgets/visibility';
import { IChartServices } from '../../widgets/metricChartGrid';
import { CompareCharts } from '../compare/charts';
import { ColumnPicker } from '../runs/columnPicker';
import { RunsStatus } from '../runs/runsStatus';
import { RunsTable } from '../runs/runsTable';
import { ExperimentModel } from './model';

/**
 * The full-width experiment view: the experiment's runs table (with the
 * shared selection), then one chart per metric key over the selected runs
 * (the comparison's curves, and bars for single values). It owns (and
 * disposes) the model, and keeps it active while it is visible.
 */
export class ExperimentBody extends ModelBody<
  ExperimentModel,
  IChartServices | null
> {
  /**
   * Create the body.
   */
  constructor(options: ExperimentBody.IOptions) {
    super(options, 'jp-Trackside-ExperimentView');
  }

  /**
   * Keep the model active while the body is visible.
   */
  processMessage(msg: Message): void {
    processFollowingVisibility(
      this,
      msg,
      () => super.processMessage(msg),
      isVisible => {
        this.model.isActive = isVisible;
      }
    );
  }

  /**
   * Render the body.
   */
  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <ExperimentContent
            model={this.model}
            services={this.services}
            trans={this.trans}
          />
        )}
      </UseSignal>
    );
  }
}

/**
 * A namespace for `ExperimentBody` statics.
 */
export namespace ExperimentBody {
  /**
   * The options to create the body: the services are the theme manager,
   * shell and translator of the charts; no charts without the model's
   * series store.
   */
  export type IOptions = ModelBody.IOptions<
    ExperimentModel,
    IChartServices | null
  >;
}

/**
 * The view of one experiment: its runs, then the charts of the selected
 * ones. Run data is rendered as text.
 */
export function ExperimentContent(props: {
  model: ExperimentModel;
  services: IChartServices | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, services, trans } = props;
  const name = model.name ?? model.experimentId;
  const { runs, isLoading, error } = model.state;
  return (
    <>
      <h2 className="jp-Trackside-ExperimentViewTitle">{name}</h2>
      <section
        className="jp-Trackside-ExperimentTable"
        aria-label={trans.__('Runs of %1', name)}
      >
        <RunsStatus
          runs={runs}
          isLoading={isLoading}
          error={error}
          emptyText={trans.__('No runs in this experiment yet.')}
          trans={trans}
        />
        {runs !== null && runs.length > 0 && (
          <>
            <div className="jp-Trackside-RunsControls">
              <ColumnPicker table={model.table} trans={trans} />
            </div>
            <RunsTable
              model={model.runsModel}
              table={model.table}
              experimentId={model.experimentId}
              label={trans.__('Runs of %1', name)}
              isLive={model.isActive}
              isBusy={isLoading}
              trans={trans}
            />
            <p className="jp-Trackside-RunCount" role="status">
              {trans._n('%1 run', '%1 runs', runs.length)}
            </p>
          </>
        )}
      </section>
      <ExperimentCharts model={model} services={services} trans={trans} />
    </>
  );
}

/**
 * One chart per metric key over the selected runs, or why there is none.
 */
function ExperimentCharts(props: {
  model: ExperimentModel;
  services: IChartServices | null;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, services, trans } = props;
  const runs = model.selectedRuns;
  const store = model.store;
  if (!services || !store) {
    return null;
  }
  return (
    <section
      className="jp-Trackside-ExperimentCharts"
      aria-label={trans.__('Charts of the selected runs')}
    >
      <p className="jp-Trackside-ExperimentChartsSummary" role="status">
        {runs.length === 0
          ? trans.__('Select runs in the table to chart their metrics.')
          : trans._n(
              'Charts of %1 selected run (%2 metric keys)',
              'Charts of %1 selected runs (%2 metric keys)',
              runs.length,
              model.keys.length
            )}
      </p>
      {runs.length > 0 && (
        <CompareCharts
          runs={runs}
          store={store}
          backfill={model.backfill}
          service={model.connection.service}
          services={services}
          trans={trans}
        />
      )}
    </section>
  );
}
