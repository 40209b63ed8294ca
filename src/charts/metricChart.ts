import { PanelLayout } from '@lumino/widgets';
import { Format } from '../models/format';
import { ArrowBytes, decodeMetricStream, ISeriesBatch } from '../wire/decode';
import { ISeriesStore, ITracksideService } from '../tokens';
import { ChartOptionsModel } from './chartOptionsModel';
import { ChartToolbar } from './chartToolbar';
import {
  buildFigure,
  chartSummary,
  IChartOptions,
  IFigure,
  IFigureSeries
} from './figure';
import { PlotlyChart } from './plotlyChart';
import { SeriesView, spliceWindow } from './seriesView';
import { IChartTheme } from './theme';
import { IZoomWindow, relayoutXRange, visibleSteps, ZoomLoader } from './zoom';

/**
 * A chart of one metric key for several runs overlaid (Plotly, SVG
 * `scatter` traces), fed by the series store, with its toolbar of display
 * choices (`ChartToolbar` writing to a `ChartOptionsModel`).
 *
 * - Live: redraws when the store's `changed` signal names one of its
 *   series, at most once per emission batch (the store emits at most once
 *   per animation frame) with `Plotly.react`; `uirevision` keeps the zoom.
 * - Level of detail: each trace is decimated to about two points per
 *   horizontal pixel (min/max kept, envelope where points were dropped),
 *   incrementally: a frame only feeds the new points.
 * - Zoom: the visible step range is fetched again from the history endpoint
 *   at full fidelity and drawn in place of the decimated points (`zoom.ts`).
 * - Theme, lazy Plotly, summary, purge: `PlotlyChart`.
 */
export class MetricChart extends PlotlyChart {
  /**
   * Create a chart.
   */
  constructor(options: MetricChart.IOptions) {
    super(options);
    this._runs = [...options.runs];
    this._store = options.store;
    this._zoom = options.service
      ? new ZoomLoader({
          service: options.service,
          decode: options.decode ?? decodeMetricStream
        })
      : null;
    this._model = new ChartOptionsModel(options.options);
    this._showTitle = options.showTitle ?? false;
    this._views = new Map(
      this._runs.map(run => [
        run.runId,
        new SeriesView({
          runId: run.runId,
          key: this.key,
          startTime: run.startTime
        })
      ])
    );
    const openInMainArea = options.openInMainArea ?? null;
    const layout = new PanelLayout();
    this.layout = layout;
    // Before the plot and the summary.
    layout.insertWidget(
      0,
      new ChartToolbar({
        metricKey: this.key,
        model: this._model,
        trans: this.trans,
        showKey: !this._showTitle,
        onOpenInMainArea: openInMainArea ? () => openInMainArea(this) : null,
        onSave: () => {
          void this.saveAsPng().catch(reason =>
            console.error('Trackside: could not save the chart.', reason)
          );
        }
      })
    );
    this.updateSummary();
    this._model.changed.connect(this._onOptionsChanged, this);
    this._store.changed.connect(this._onStoreChanged, this);
    for (const run of this._runs) {
      options.requestBackfill?.(run.runId, this.key);
    }
  }

  /**
   * The runs drawn.
   */
  get runs(): ReadonlyArray<MetricChart.IRun> {
    return this._runs;
  }

  /**
   * The display choices.
   */
  get options(): IChartOptions {
    return this._model.options;
  }
  set options(value: IChartOptions) {
    this._model.options = value;
  }

  /**
   * Save the chart as a PNG file (a download).
   */
  async saveAsPng(): Promise<void> {
    const url = await this.toImage();
    if (this.isDisposed) {
      return;
    }
    const link = document.createElement('a');
    link.href = url;
    link.download = `${Private.fileName(this.key)}.png`;
    link.style.display = 'none';
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  /**
   * Dispose the chart: purge Plotly, disconnect, abort fetches.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._zoom?.dispose();
    this._store.changed.disconnect(this._onStoreChanged, this);
    this._model.dispose();
    this._views.clear();
    this._windows.clear();
    super.dispose();
  }

  protected buildFigure(theme: IChartTheme): IFigure {
    const width = this.plotWidth();
    const { xAxis, smoothing } = this._model.options;
    const series: IFigureSeries[] = this._runs.map(run => {
      const view = this._views.get(run.runId)!;
      view.configure({ xAxis, width, smoothing });
      view.sync(this._store.get(run.runId, this.key));
      const window = this._windows.get(run.runId);
      const raw = view.raw();
      return {
        runId: run.runId,
        name: run.name,
        // Inside a zoom window, the full-fidelity points replace the
        // decimated ones; the smoothed line stays the decimated one.
        raw: window ? spliceWindow(raw, window) : raw,
        smoothed: view.smoothed()
      };
    });
    return buildFigure({
      key: this.key,
      series,
      chart: this._model.options,
      theme,
      trans: this.trans,
      showTitle: this._showTitle,
      revision: ++this._revision
    });
  }

  protected describe(): string {
    const runs = this._runs.map(run => {
      const series = this._store.get(run.runId, this.key);
      const n = series?.length ?? 0;
      return {
        name: run.name,
        last:
          series && n > 0
            ? { step: series.steps[n - 1], value: series.values[n - 1] }
            : null
      };
    });
    return chartSummary(this.key, runs, this.trans, Format.metricValue);
  }

  protected onPlotCreated(graph: PlotlyChart.IGraphDiv): void {
    graph.on?.('plotly_relayout', event => this._onRelayout(event));
  }

  /**
   * New display choices: drop the zoom windows (their x units may differ)
   * and draw again.
   */
  private _onOptionsChanged(): void {
    this._windows.clear();
    this.scheduleDraw();
  }

  private _onStoreChanged(
    _: ISeriesStore,
    change: ISeriesStore.IChangedArgs
  ): void {
    if (change.key !== this.key) {
      return;
    }
    const view = this._views.get(change.runId);
    if (!view) {
      return;
    }
    view.invalidate(change.reset ? 0 : change.start);
    this.scheduleDraw();
  }

  /**
   * The user zoomed or reset the zoom.
   */
  private _onRelayout(event: Record<string, unknown>): void {
    const range = relayoutXRange(event);
    if (range === 'reset') {
      this._zoom?.abort();
      if (this._windows.size > 0) {
        this._windows.clear();
        this.scheduleDraw();
      }
    } else if (range) {
      void this._fetchWindow(range.x0, range.x1);
    }
  }

  /**
   * Fetch the visible range of every run at full fidelity.
   */
  private async _fetchWindow(x0: number, x1: number): Promise<void> {
    if (!this._zoom) {
      return;
    }
    const views = Array.from(this._views.values());
    const steps = visibleSteps(
      views.map(view => ({
        series: this._store.get(view.runId, this.key),
        xOf: points => view.xOf(points)
      })),
      this._model.options.xAxis,
      x0,
      x1
    );
    if (!steps) {
      return;
    }
    const windows = await this._zoom.load({
      key: this.key,
      x0,
      x1,
      ...steps,
      maxPoints: Math.max(16, Math.round(this.plotWidth() * 2)),
      xOf: new Map(views.map(view => [view.runId, points => view.xOf(points)]))
    });
    if (windows && !this.isDisposed) {
      this._windows = windows;
      this.scheduleDraw();
    }
  }

  private _runs: MetricChart.IRun[];
  private _store: ISeriesStore;
  private _zoom: ZoomLoader | null;
  private _model: ChartOptionsModel;
  private _showTitle: boolean;
  private _views: Map<string, SeriesView>;
  private _windows = new Map<string, IZoomWindow>();
  private _revision = 0;
}

/**
 * A namespace for `MetricChart` statics.
 */
export namespace MetricChart {
  /**
   * A run drawn by the chart.
   */
  export interface IRun {
    readonly runId: string;
    /**
     * The run name as logged (escaped by the chart).
     */
    readonly name: string;
    /**
     * The run start time (epoch ms), origin of the relative time axis.
     */
    readonly startTime?: number | null;
  }

  /**
   * The options to create a chart.
   */
  export interface IOptions extends Omit<
    PlotlyChart.IOptions,
    'plotClassName'
  > {
    runs: ReadonlyArray<IRun>;
    store: ISeriesStore;
    /**
     * The client used to fetch a zoomed range at full fidelity; no zoom
     * fetch without it.
     */
    service?: Pick<ITracksideService, 'getMetricHistoryArrow'> | null;
    /**
     * Asked once per run when the chart is created, so that the series of
     * finished runs are loaded from the history endpoint.
     */
    requestBackfill?: (runId: string, key: string) => void;
    options?: Partial<IChartOptions>;
    showTitle?: boolean;
    /**
     * Shows an "Open in main area" button calling this.
     */
    openInMainArea?: ((chart: MetricChart) => void) | null;
    /**
     * The Arrow decoder (tests).
     */
    decode?: (bytes: ArrowBytes) => Promise<ISeriesBatch[]>;
  }
}

namespace Private {
  /**
   * A safe file name for a metric key.
   */
  export function fileName(key: string): string {
    const name = key.replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '');
    return name || 'chart';
  }
}
