import { JupyterFrontEnd } from '@jupyterlab/application';
import { IThemeManager, MainAreaWidget } from '@jupyterlab/apputils';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { MetricChart } from '../charts/metricChart';
import { BackfillScheduler } from '../stream/backfill';
import { ISeriesStore, ITracksideService } from '../tokens';
import { LuminoHost } from './runDetailChart';

/**
 * What the charts need beyond the REST client: the series store they draw
 * from, the shell for charts opened in the main area, the theme manager and
 * the translator. Without a store there are no charts.
 */
export interface IChartServices {
  readonly store?: ISeriesStore | null;
  readonly shell?: JupyterFrontEnd.IShell | null;
  readonly themeManager?: IThemeManager | null;
  readonly translator: ITranslator;
}

/**
 * One chart: a metric key and the runs overlaid on it.
 */
export interface IChartSpec {
  readonly key: string;
  readonly runs: ReadonlyArray<MetricChart.IRun>;
}

/**
 * A column of metric charts, each created when it scrolls into view; the
 * runs of a chart are overlaid (one trace and legend entry per run).
 */
export function MetricChartGrid(props: {
  charts: ReadonlyArray<IChartSpec>;
  store: ISeriesStore;
  service: ITracksideService;
  backfill: BackfillScheduler | null;
  services: IChartServices;
  trans: TranslationBundle;
}): JSX.Element {
  const { charts, store, service, backfill, services, trans } = props;
  return (
    <div className="jp-Trackside-DetailCharts">
      {charts.map(spec => (
        <LuminoHost
          // A new set of runs is a new chart (its series views are fixed).
          key={`${spec.key}|${spec.runs.map(run => run.runId).join(',')}`}
          className="jp-Trackside-ChartHost"
          placeholder={trans.__('Chart of %1', spec.key)}
          create={() =>
            createChart({ spec, store, service, backfill, services })
          }
        />
      ))}
    </div>
  );
}

/**
 * Create the chart of one metric key.
 */
function createChart(options: {
  spec: IChartSpec;
  store: ISeriesStore;
  service: ITracksideService;
  backfill: BackfillScheduler | null;
  services: IChartServices;
}): MetricChart {
  const { spec, store, service, backfill, services } = options;
  return new MetricChart({
    key: spec.key,
    runs: spec.runs,
    store,
    service,
    translator: services.translator,
    themeManager: services.themeManager,
    requestBackfill: backfill
      ? (runId, metricKey) => backfill.request(runId, metricKey)
      : undefined,
    openInMainArea: services.shell
      ? chart => openChartInMainArea(chart, { store, service, services })
      : null
  });
}

/**
 * Open a larger copy of a chart in the main area.
 */
export function openChartInMainArea(
  chart: MetricChart,
  options: {
    store: ISeriesStore;
    service: ITracksideService;
    services: IChartServices;
  }
): MainAreaWidget<MetricChart> {
  const { store, service, services } = options;
  const trans = services.translator.load('jupyterlab_trackside');
  const copy = new MetricChart({
    key: chart.key,
    runs: chart.runs,
    store,
    service,
    translator: services.translator,
    themeManager: services.themeManager,
    options: chart.options,
    showTitle: true
  });
  copy.addClass('jp-mod-large');
  const widget = new MainAreaWidget({ content: copy });
  widget.addClass('jp-Trackside-ChartPanel');
  const names = chart.runs.map(run => run.name).join(', ');
  widget.title.label = trans.__('%1 · %2', chart.key, names);
  widget.title.caption = trans.__('Metric %1 of %2', chart.key, names);
  widget.title.closable = true;
  services.shell?.add(widget, 'main');
  services.shell?.activateById(widget.id);
  return widget;
}

/**
 * A backfill scheduler shared by a view's charts (no debounce: a series'
 * history is loaded as soon as its chart appears), disposed with the view.
 */
export function useBackfill(
  store: ISeriesStore | null,
  service: ITracksideService
): BackfillScheduler | null {
  // Created during render, so that charts created in the first commit can
  // already ask for their history.
  const ref = React.useRef<{
    scheduler: BackfillScheduler;
    store: ISeriesStore;
    service: ITracksideService;
  } | null>(null);
  const current = ref.current;
  if (
    store &&
    (!current ||
      current.store !== store ||
      current.service !== service ||
      current.scheduler.isDisposed)
  ) {
    current?.scheduler.dispose();
    ref.current = {
      scheduler: new BackfillScheduler({
        store,
        client: service,
        debounce: 0,
        maxPoints: BACKFILL_MAX_POINTS
      }),
      store,
      service
    };
  }
  const scheduler = store ? (ref.current?.scheduler ?? null) : null;
  React.useEffect(() => {
    return () => scheduler?.dispose();
  }, [scheduler]);
  return scheduler;
}

/**
 * Points per series loaded for the charts (first/last/min/max per bucket
 * above it); a zoom loads its range at full fidelity.
 */
export const BACKFILL_MAX_POINTS = 8192;
