import { IThemeManager } from '@jupyterlab/apputils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { UUID } from '@lumino/coreutils';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { Format } from '../models/format';
import { barChartSummary, buildBarFigure, IRunValue } from './barFigure';
import { IPlotly, loadPlotly } from './plotly';
import { IChartTheme, readChartTheme, ThemeWatcher } from './theme';

/**
 * A bar chart of a single-value metric (accuracy, rmse): one bar per run.
 * Drawn instead of a one-point line chart where every run logged the key
 * once.
 *
 * Plotly is loaded on first draw; colours come from the theme and follow
 * its changes; run names are escaped before they reach Plotly; a text
 * summary describes the chart for screen readers; dispose purges the graph.
 */
export class MetricBarChart extends Widget {
  /**
   * Create a bar chart.
   */
  constructor(options: MetricBarChart.IOptions) {
    super();
    this.key = options.key;
    this._values = [...options.values];
    this._trans = (options.translator ?? nullTranslator).load(
      'jupyterlab_trackside'
    );
    this._showTitle = options.showTitle ?? false;
    this._loadPlotly = options.loadPlotly ?? loadPlotly;

    this.addClass('jp-Trackside-Chart');
    this.addClass('jp-Trackside-BarChart');
    this.node.setAttribute('role', 'figure');
    this.node.setAttribute(
      'aria-label',
      this._trans.__('Chart of %1', this.key)
    );
    if (!this._showTitle) {
      const header = document.createElement('div');
      header.className = 'jp-Trackside-ChartToolbar';
      const title = document.createElement('span');
      title.className = 'jp-Trackside-ChartTitle';
      title.textContent = this.key;
      title.title = this.key;
      header.appendChild(title);
      this.node.appendChild(header);
    }
    this._plot = document.createElement('div');
    this._plot.className = 'jp-Trackside-BarChartPlot';
    this._summary = document.createElement('p');
    this._summary.className = 'jp-Trackside-ChartSummary';
    this._summary.id = `jp-Trackside-ChartSummary-${UUID.uuid4()}`;
    this.node.setAttribute('aria-describedby', this._summary.id);
    this.node.append(this._plot, this._summary);
    this._updateSummary();

    this._themeWatcher = new ThemeWatcher(() => {
      this._theme = null;
      this._scheduleDraw();
    }, options.themeManager);
  }

  /**
   * The metric key drawn.
   */
  readonly key: string;

  /**
   * The value of each run, in drawing order (top to bottom).
   */
  get values(): ReadonlyArray<IRunValue> {
    return this._values;
  }
  set values(values: ReadonlyArray<IRunValue>) {
    this._values = [...values];
    this._updateSummary();
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
   * Dispose the chart and purge its Plotly graph.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._themeWatcher.dispose();
    if (this._plotly && this._plotted) {
      this._plotly.purge(this._plot);
    }
    this._plotted = false;
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
      void this._plotly.Plots.resize(this._plot);
    }
  }

  /**
   * Draw once after the current batch of changes.
   */
  private _scheduleDraw(): void {
    if (this.isDisposed || this._scheduled) {
      return;
    }
    this._scheduled = true;
    void Promise.resolve().then(() => {
      this._scheduled = false;
      const previous = this._drawing ?? Promise.resolve();
      const drawing = previous.then(() => this._draw());
      this._drawing = drawing;
      void drawing.finally(() => {
        if (this._drawing === drawing) {
          this._drawing = null;
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
    if (!this._theme) {
      this._theme = readChartTheme(this.node);
    }
    const figure = buildBarFigure({
      key: this.key,
      values: this._values,
      theme: this._theme,
      trans: this._trans,
      formatValue: Format.metricValue,
      showTitle: this._showTitle
    });
    if (this._plotted) {
      await plotly.react(this._plot, figure.data, figure.layout, figure.config);
      return;
    }
    await plotly.newPlot(this._plot, figure.data, figure.layout, figure.config);
    if (this.isDisposed) {
      plotly.purge(this._plot);
      return;
    }
    this._plotted = true;
  }

  private _updateSummary(): void {
    this._summary.textContent = barChartSummary(
      this.key,
      this._values,
      this._trans,
      Format.metricValue
    );
  }

  private _values: IRunValue[];
  private _trans: TranslationBundle;
  private _showTitle: boolean;
  private _loadPlotly: () => Promise<IPlotly>;
  private _themeWatcher: ThemeWatcher;
  private _theme: IChartTheme | null = null;
  private _plot: HTMLDivElement;
  private _summary: HTMLParagraphElement;
  private _plotly: IPlotly | null = null;
  private _plotted = false;
  private _scheduled = false;
  private _drawing: Promise<void> | null = null;
}

/**
 * A namespace for `MetricBarChart` statics.
 */
export namespace MetricBarChart {
  /**
   * The options to create a bar chart.
   */
  export interface IOptions {
    key: string;
    values: ReadonlyArray<IRunValue>;
    translator?: ITranslator;
    themeManager?: IThemeManager | null;
    /**
     * Show the key as the Plotly title instead of a text header.
     */
    showTitle?: boolean;
    /**
     * The Plotly loader (tests).
     */
    loadPlotly?: () => Promise<IPlotly>;
  }
}
