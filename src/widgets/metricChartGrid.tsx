import { JupyterFrontEnd } from '@jupyterlab/application';
import { IThemeManager, MainAreaWidget } from '@jupyterlab/apputils';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { MetricChart } from '../charts/metricChart';
import { IBackfill, ISeriesStore, ITracksideService } from '../tokens';
import { LuminoHost } from './luminoHost';

/**
 * What the charts need beyond the REST client: the series store they draw
 * from and the backfill that loads its history, the shell for charts opened
 * in the main area, the theme manager and the translator. Without a store
 * there are no charts.
 */
export interface IChartServices {
  readonly store?: ISeriesStore | null;
  readonly backfill?: IBackfill | null;
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
  backfill: IBackfill | null;
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
  backfill: IBackfill | null;
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
      ? (runId, metricKey) =>
          // A chart that appears loads its history at once.
          backfill.request(runId, metricKey, {
            immediate: true,
            maxPoints: BACKFILL_MAX_POINTS
          })
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
 * Points per series loaded for the charts (first/last/min/max per bucket
 * above it); a zoom loads its range at full fidelity.
 */
export const BACKFILL_MAX_POINTS = 8192;
