import { IThemeManager } from '@jupyterlab/apputils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { downloadIcon, LabIcon, launchIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import {
  ArrowBytes,
  decodeMetricStream,
  ISeriesBatch
} from '../stream/arrowDecode';
import { ISeriesStore, ITracksideService } from '../tokens';
import { Format } from '../models/format';
import {
  buildFigure,
  chartSummary,
  DEFAULT_CHART_OPTIONS,
  IChartOptions,
  IFigureSeries,
  XAxisMode
} from './figure';
import { IPlotly, loadPlotly } from './plotly';
import { SeriesView, spliceWindow } from './seriesView';
import { IChartTheme, readChartTheme, ThemeWatcher } from './theme';

/**
 * A chart of one metric key for several runs overlaid (Plotly, SVG
 * `scatter` traces), fed by the series store.
 *
 * - Live: redraws when the store's `changed` signal names one of its
 *   series, at most once per emission batch (the store emits at most once
 *   per animation frame) with `Plotly.react`; `uirevision` keeps the zoom.
 * - Level of detail: each trace is decimated to about two points per
 *   horizontal pixel (min/max kept, envelope where points were dropped),
 *   incrementally: a frame only feeds the new points.
 * - Zoom: the visible step range is fetched again from the history endpoint
 *   at full fidelity and drawn in place of the decimated points.
 * - Theme: colours from `--jp-*` variables, redrawn on theme change.
 * - Disposal: `Plotly.purge`, signals disconnected, fetches aborted.
 */
export class MetricChart extends Widget {
  /**
   * Create a chart.
   */
  constructor(options: MetricChart.IOptions) {
    super();
    this.key = options.key;
    this._runs = [...options.runs];
    this._store = options.store;
    this._service = options.service ?? null;
    this._decode = options.decode ?? decodeMetricStream;
    this._translator = options.translator ?? nullTranslator;
    this._trans = this._translator.load('jupyterlab_trackside');
    this._themeManager = options.themeManager ?? null;
    this._options = { ...DEFAULT_CHART_OPTIONS, ...options.options };
    this._showTitle = options.showTitle ?? false;
    this._openInMainArea = options.openInMainArea ?? null;
    this._loadPlotly = options.loadPlotly ?? loadPlotly;

    this.addClass('jp-Trackside-Chart');
    this.node.setAttribute('role', 'figure');
    this.node.setAttribute(
      'aria-label',
      this._trans.__('Chart of %1', this.key)
    );
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
    this._buildDom();
    this._store.changed.connect(this._onStoreChanged, this);
    this._themeWatcher = new ThemeWatcher(() => {
      this._theme = null;
      this._scheduleDraw();
    }, this._themeManager);
    for (const run of this._runs) {
      options.requestBackfill?.(run.runId, this.key);
    }
  }

  /**
   * The metric key drawn.
   */
  readonly key: string;

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
    return this._options;
  }
  set options(value: IChartOptions) {
    this._options = { ...value };
    this._syncControls();
    this._windows.clear();
    this._scheduleDraw();
  }

  /**
   * The plot element (Plotly's graph div).
   */
  get plotNode(): HTMLElement {
    return this._plot;
  }

  /**
   * The text summary read by screen readers.
   */
  get summary(): string {
    return this._summary.textContent ?? '';
  }

  /**
   * Resolves when the pending draw (if any) is done.
   */
  async drawn(): Promise<void> {
    while (this._drawing) {
      await this._drawing;
    }
  }

  /**
   * Render the chart as a PNG data URL.
   */
  async toImage(): Promise<string> {
    const plotly = await this._loadPlotly();
    await this.drawn();
    return plotly.toImage(this._plot, {
      format: 'png',
      width: Math.max(this._plot.clientWidth, 640),
      height: Math.max(this._plot.clientHeight, 400)
    });
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
    this._zoomAbort?.abort();
    this._zoomAbort = null;
    this._store.changed.disconnect(this._onStoreChanged, this);
    this._themeWatcher.dispose();
    if (this._plotly && this._plotted) {
      this._plotly.purge(this._plot);
    }
    this._plotted = false;
    this._views.clear();
    this._windows.clear();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._scheduleDraw();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._scheduleDraw();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    if (this._plotly && this._plotted && this.isVisible) {
      // Plotly resizes later (debounced) and leaves a horizontal legend
      // where it was for the old width, over the plot: draw again after.
      void Promise.resolve(this._plotly.Plots.resize(this._plot)).then(() =>
        this._scheduleDraw()
      );
    }
    // A new width is a new level of detail.
    this._scheduleDraw();
  }

  /**
   * Build the toolbar, the plot element and the summary.
   */
  private _buildDom(): void {
    const trans = this._trans;
    const toolbar = document.createElement('div');
    toolbar.className = 'jp-Trackside-ChartToolbar';
    toolbar.setAttribute('role', 'toolbar');
    toolbar.setAttribute('aria-label', trans.__('%1 chart options', this.key));

    // The key, as text (the copy in the main area has a Plotly title).
    const title = document.createElement('span');
    title.className = 'jp-Trackside-ChartTitle';
    title.textContent = this.key;
    title.title = this.key;

    const xLabel = document.createElement('label');
    xLabel.className = 'jp-Trackside-ChartControl';
    const xText = document.createElement('span');
    xText.textContent = trans.__('X axis');
    const xSelect = document.createElement('select');
    xSelect.className = 'jp-Trackside-ChartXAxis';
    const modes: Array<[XAxisMode, string]> = [
      ['step', trans.__('Step')],
      ['wall', trans.__('Wall time')],
      ['relative', trans.__('Relative time')]
    ];
    for (const [value, label] of modes) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      xSelect.appendChild(option);
    }
    xSelect.addEventListener('change', () => {
      this.options = { ...this._options, xAxis: xSelect.value as XAxisMode };
    });
    xLabel.append(xText, xSelect);

    const log = document.createElement('button');
    log.type = 'button';
    log.className = 'jp-Button jp-mod-minimal jp-Trackside-ChartLog';
    log.textContent = trans.__('Log');
    log.title = trans.__('Logarithmic y axis');
    log.addEventListener('click', () => {
      this.options = { ...this._options, logY: !this._options.logY };
    });

    const smoothLabel = document.createElement('label');
    smoothLabel.className = 'jp-Trackside-ChartControl';
    const smoothText = document.createElement('span');
    smoothText.textContent = trans.__('Smoothing');
    const smooth = document.createElement('input');
    smooth.type = 'range';
    smooth.min = '0';
    smooth.max = '0.99';
    smooth.step = '0.01';
    smooth.className = 'jp-Trackside-ChartSmoothing';
    smooth.addEventListener('input', () => {
      this.options = { ...this._options, smoothing: Number(smooth.value) };
    });
    smoothLabel.append(smoothText, smooth);

    if (!this._showTitle) {
      toolbar.appendChild(title);
    }
    toolbar.append(xLabel, log, smoothLabel);

    if (this._openInMainArea) {
      const open = Private.iconButton(
        launchIcon,
        trans.__('Open in main area'),
        'jp-Trackside-ChartOpen'
      );
      open.addEventListener('click', () => this._openInMainArea?.(this));
      toolbar.appendChild(open);
    }
    const save = Private.iconButton(
      downloadIcon,
      trans.__('Save as PNG'),
      'jp-Trackside-ChartSave'
    );
    save.addEventListener('click', () => {
      void this.saveAsPng().catch(reason =>
        console.error('Trackside: could not save the chart.', reason)
      );
    });
    toolbar.appendChild(save);

    this._plot = document.createElement('div');
    this._plot.className = 'jp-Trackside-ChartPlot';
    this._summary = document.createElement('p');
    this._summary.className = 'jp-Trackside-ChartSummary';
    this._summary.id = `jp-Trackside-ChartSummary-${Private.nextId()}`;
    this.node.setAttribute('aria-describedby', this._summary.id);

    this._xSelect = xSelect;
    this._logButton = log;
    this._smoothInput = smooth;
    this.node.append(toolbar, this._plot, this._summary);
    this._syncControls();
    this._updateSummary();
  }

  /**
   * Reflect the options in the controls.
   */
  private _syncControls(): void {
    this._xSelect.value = this._options.xAxis;
    this._logButton.setAttribute('aria-pressed', String(this._options.logY));
    this._smoothInput.value = String(this._options.smoothing);
    this._smoothInput.setAttribute(
      'aria-valuetext',
      this._options.smoothing.toFixed(2)
    );
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
    this._scheduleDraw();
  }

  /**
   * Draw once after the current batch of changes (the store emits its
   * changes in one animation frame callback).
   */
  private _scheduleDraw(): void {
    if (this.isDisposed || this._scheduled) {
      return;
    }
    this._scheduled = true;
    void Promise.resolve().then(() => {
      this._scheduled = false;
      if (this._drawing) {
        // One more draw after the running one, with everything new.
        this._redrawAfter = true;
        return;
      }
      this._drawing = this._draw().finally(() => {
        this._drawing = null;
        if (this._redrawAfter) {
          this._redrawAfter = false;
          this._scheduleDraw();
        }
      });
    });
  }

  private async _draw(): Promise<void> {
    if (this.isDisposed || !this.isAttached || !this.isVisible) {
      return;
    }
    let plotly: IPlotly;
    try {
      plotly = await this._loadPlotly();
    } catch (reason) {
      this._plot.textContent = this._trans.__(
        'The chart library could not be loaded.'
      );
      console.error('Trackside: Plotly failed to load.', reason);
      return;
    }
    if (this.isDisposed || !this.isAttached) {
      return;
    }
    this._plotly = plotly;
    const width = this._plotWidth();
    const series: IFigureSeries[] = [];
    for (const run of this._runs) {
      const view = this._views.get(run.runId)!;
      view.configure({
        xAxis: this._options.xAxis,
        width,
        smoothing: this._options.smoothing
      });
      view.sync(this._store.get(run.runId, this.key));
      const window = this._windows.get(run.runId);
      const raw = view.raw();
      series.push({
        runId: run.runId,
        name: run.name,
        // Inside a zoom window, the full-fidelity points replace the
        // decimated ones; the smoothed line stays the decimated one.
        raw: window ? spliceWindow(raw, window) : raw,
        smoothed: view.smoothed()
      });
    }
    if (!this._theme) {
      this._theme = readChartTheme(this.node);
    }
    const figure = buildFigure({
      key: this.key,
      series,
      chart: this._options,
      theme: this._theme,
      trans: this._trans,
      showTitle: this._showTitle,
      revision: ++this._revision
    });
    if (!this._plotted) {
      await plotly.newPlot(
        this._plot,
        figure.data,
        figure.layout,
        figure.config
      );
      if (this.isDisposed) {
        plotly.purge(this._plot);
        return;
      }
      this._plotted = true;
      const graph = this._plot as unknown as Private.IGraphDiv;
      graph.on?.('plotly_relayout', (event: Record<string, unknown>) =>
        this._onRelayout(event)
      );
    } else {
      await plotly.react(this._plot, figure.data, figure.layout, figure.config);
    }
    this._updateSummary();
  }

  /**
   * The width of the plot area in pixels (the axes take some).
   */
  private _plotWidth(): number {
    const width = this._plot.clientWidth || this.node.clientWidth || 300;
    return Math.max(50, width - 60);
  }

  private _updateSummary(): void {
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
    this._summary.textContent = chartSummary(
      this.key,
      runs,
      this._trans,
      Format.metricValue
    );
  }

  /**
   * The user zoomed or reset the zoom.
   */
  private _onRelayout(event: Record<string, unknown>): void {
    if (event['xaxis.autorange'] === true) {
      this._zoomAbort?.abort();
      if (this._windows.size > 0) {
        this._windows.clear();
        this._scheduleDraw();
      }
      return;
    }
    const range = Array.isArray(event['xaxis.range'])
      ? (event['xaxis.range'] as unknown[])
      : event['xaxis.range[0]'] !== undefined
        ? [event['xaxis.range[0]'], event['xaxis.range[1]']]
        : null;
    if (!range) {
      return;
    }
    const x0 = Private.axisValue(range[0]);
    const x1 = Private.axisValue(range[1]);
    if (Number.isFinite(x0) && Number.isFinite(x1)) {
      void this._fetchWindow(Math.min(x0, x1), Math.max(x0, x1));
    }
  }

  /**
   * Fetch the visible range of every run at full fidelity.
   */
  private async _fetchWindow(x0: number, x1: number): Promise<void> {
    if (!this._service) {
      return;
    }
    this._zoomAbort?.abort();
    const abort =
      typeof AbortController === 'function' ? new AbortController() : null;
    this._zoomAbort = abort;
    // The step range of the visible x range (known points of the store).
    let startStep = Infinity;
    let endStep = -Infinity;
    for (const run of this._runs) {
      const series = this._store.get(run.runId, this.key);
      const view = this._views.get(run.runId);
      if (!series || !view) {
        continue;
      }
      if (this._options.xAxis === 'step') {
        startStep = Math.min(startStep, Math.floor(x0));
        endStep = Math.max(endStep, Math.ceil(x1));
        break;
      }
      const xs = view.xOf(series);
      for (let i = 0; i < xs.length; i++) {
        if (xs[i] >= x0 && xs[i] <= x1) {
          startStep = Math.min(startStep, series.steps[i]);
          endStep = Math.max(endStep, series.steps[i]);
        }
      }
    }
    if (!Number.isFinite(startStep) || !Number.isFinite(endStep)) {
      return;
    }
    let batches: ISeriesBatch[];
    try {
      const bytes = await this._service.getMetricHistoryArrow({
        runIds: this._runs.map(run => run.runId),
        keys: [this.key],
        startStep,
        endStep,
        maxPoints: Math.max(16, Math.round(this._plotWidth() * 2)),
        signal: abort?.signal
      });
      if (this.isDisposed || abort?.signal.aborted) {
        return;
      }
      batches = await this._decode(bytes);
    } catch (reason) {
      if (!abort?.signal.aborted && !this.isDisposed) {
        console.warn(
          'Trackside: the zoomed range could not be loaded.',
          reason
        );
      }
      return;
    }
    if (this.isDisposed || abort?.signal.aborted) {
      return;
    }
    this._windows.clear();
    for (const batch of batches) {
      const view = this._views.get(batch.runId);
      if (!view || batch.key !== this.key) {
        continue;
      }
      const columns = { ...batch, length: batch.steps.length };
      const xs = view.xOf(columns);
      const keep: number[] = [];
      for (let i = 0; i < xs.length; i++) {
        if (xs[i] >= x0 && xs[i] <= x1) {
          keep.push(i);
        }
      }
      const pick = (a: ArrayLike<number>) => Float64Array.from(keep, i => a[i]);
      const window = {
        x0,
        x1,
        x: pick(xs),
        y: pick(batch.values),
        aux: pick(batch.steps)
      };
      this._windows.set(batch.runId, window);
    }
    this._scheduleDraw();
  }

  private _runs: MetricChart.IRun[];
  private _store: ISeriesStore;
  private _service: Pick<ITracksideService, 'getMetricHistoryArrow'> | null;
  private _decode: (bytes: ArrowBytes) => Promise<ISeriesBatch[]>;
  private _translator: ITranslator;
  private _trans: TranslationBundle;
  private _themeManager: IThemeManager | null;
  private _themeWatcher: ThemeWatcher;
  private _theme: IChartTheme | null = null;
  private _options: IChartOptions;
  private _showTitle: boolean;
  private _openInMainArea: ((chart: MetricChart) => void) | null;
  private _loadPlotly: () => Promise<IPlotly>;
  private _views: Map<string, SeriesView>;
  private _windows = new Map<string, Private.IWindow>();
  private _plot!: HTMLDivElement;
  private _summary!: HTMLParagraphElement;
  private _xSelect!: HTMLSelectElement;
  private _logButton!: HTMLButtonElement;
  private _smoothInput!: HTMLInputElement;
  private _plotly: IPlotly | null = null;
  private _plotted = false;
  private _scheduled = false;
  private _drawing: Promise<void> | null = null;
  private _redrawAfter = false;
  private _revision = 0;
  private _zoomAbort: AbortController | null = null;
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
  export interface IOptions {
    key: string;
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
    translator?: ITranslator;
    themeManager?: IThemeManager | null;
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
    /**
     * The Plotly loader (tests).
     */
    loadPlotly?: () => Promise<IPlotly>;
  }
}

namespace Private {
  /**
   * A native button showing an icon, labelled for assistive technology.
   */
  export function iconButton(
    icon: LabIcon,
    label: string,
    className: string
  ): HTMLButtonElement {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `jp-Button jp-mod-minimal jp-Trackside-ChartIcon ${className}`;
    button.title = label;
    button.setAttribute('aria-label', label);
    button.appendChild(icon.element({ tag: 'span', elementSize: 'normal' }));
    return button;
  }

  /**
   * Unique ids of the summaries.
   */
  let counter = 0;

  /**
   * A new summary id.
   */
  export function nextId(): number {
    return ++counter;
  }

  /**
   * A zoom window of one run, in display units.
   */
  export interface IWindow {
    x0: number;
    x1: number;
    x: Float64Array;
    y: Float64Array;
    aux: Float64Array;
  }

  /**
   * Plotly's graph div with its event emitter.
   */
  export interface IGraphDiv extends HTMLElement {
    on?: (
      event: string,
      handler: (data: Record<string, unknown>) => void
    ) => void;
  }

  /**
   * A number from a Plotly axis range: a number, or a date string of a date
   * axis (Plotly's dates carry no time zone: read them as UTC).
   */
  export function axisValue(value: unknown): number {
    if (typeof value === 'number') {
      return value;
    }
    if (typeof value === 'string') {
      const asNumber = Number(value);
      if (value.trim() !== '' && Number.isFinite(asNumber)) {
        return asNumber;
      }
      const iso = value.trim().replace(' ', 'T');
      return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
    }
    return NaN;
  }

  /**
   * A safe file name for a metric key.
   */
  export function fileName(key: string): string {
    const name = key.replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '');
    return name || 'chart';
  }
}
