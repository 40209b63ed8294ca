import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { IBackfill, IRun, ISeriesStore, ITracksideService } from '../../tokens';
import { Format } from '../../models/format';
import {
  IChartServices,
  IChartSpec,
  MetricChartGrid
} from '../../widgets/metricChartGrid';
import { CompareValueBars, useSingleValueKeys } from './valueBars';

/**
 * The metric charts of compared runs: one chart per metric key with every
 * run that logged it overlaid, live for runs still streaming; a key that
 * holds a single value per run is a bar chart instead.
 */
export function CompareCharts(props: {
  runs: ReadonlyArray<IRun>;
  store: ISeriesStore;
  backfill: IBackfill | null;
  service: ITracksideService;
  services: IChartServices;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { runs, store, backfill, service, services, trans } = props;
  const specs = React.useMemo(
    () => chartSpecs(runs, (runId: string) => store.keys(runId)),
    [runs, store]
  );
  // A key every run logged once is one bar per run, not one-point curves.
  const singles = useSingleValueKeys(runs, store);
  const charts = React.useMemo(
    () => specs.filter(spec => !singles.has(spec.key)),
    [specs, singles]
  );
  const bars = (
    <CompareValueBars
      keys={singles}
      backfill={backfill}
      services={services}
      trans={trans}
    />
  );
  if (charts.length === 0) {
    return bars;
  }
  return (
    <>
      {bars}
      <section
        className="jp-Trackside-CompareCharts"
        aria-label={trans.__('Metric curves of %1 runs', runs.length)}
      >
        <h4 className="jp-Trackside-CompareChartsTitle">
          {trans.__('Metric curves')}
        </h4>
        <MetricChartGrid
          charts={charts}
          store={store}
          service={service}
          backfill={backfill}
          services={services}
          trans={trans}
        />
      </section>
    </>
  );
}

/**
 * One chart per metric key (sorted), each with the runs that logged it
 * (in MLflow, or live in the series store), in the order of `runs`.
 */
export function chartSpecs(
  runs: ReadonlyArray<IRun>,
  liveKeys: (runId: string) => ReadonlyArray<string>
): IChartSpec[] {
  const byKey = new Map<string, IRun[]>();
  for (const run of runs) {
    const keys = new Set([
      ...run.data.metrics.map(metric => metric.key),
      ...liveKeys(run.info.run_id)
    ]);
    for (const key of keys) {
      const list = byKey.get(key) ?? [];
      list.push(run);
      byKey.set(key, list);
    }
  }
  return Array.from(byKey.keys())
    .sort()
    .map(key => ({
      key,
      runs: byKey.get(key)!.map(run => ({
        runId: run.info.run_id,
        name: Format.runName(run.info),
        startTime: run.info.start_time
      }))
    }));
}
