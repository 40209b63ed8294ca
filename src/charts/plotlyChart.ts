import { IThemeManager } from '@jupyterlab/apputils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { UUID } from '@lumino/coreutils';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { IFigure } from './figure';
import { IPlotly, loadPlotly } from './plotly';
import { IChartTheme, readChartTheme, ThemeWatcher } from './theme';

/**
 * What every Trackside chart does around its Plotly figure: a `figure`
 * role with a translated label and a text summary for screen readers,
 * Plotly loaded on first draw, draws coalesced (one at a time, at most one
 * more with everything new) and paced (after a slow draw, a rest as long as
 * it took), theme colours re-read on theme change, a redraw after a resize,
 * `Plotly.purge` on dispose.
 *
 * Subclasses build the figure and the summary text.
 */
export abstract class PlotlyChart extends Widget {
  /**
   * Create a chart.
   */
  constructor(options: PlotlyChart.IOptions) {
    super();
    this.key = options.key;
    this.trans = (options.translator ?? nullTranslator).load(
      'jupyterlab_trackside'
    );
    this._loadPlotly = options.loadPlotly ?? loadPlotly;

    this.addClass('jp-Trackside-Chart');
    this.node.setAttribute('role', 'figure');
    this.node.setAttribute(
      'aria-label',
      this.trans.__('Chart of %1', this.key)
    );
    this._plot = document.createElement('div');
    this._plot.className = options.plotClassName ?? 'jp-Trackside-ChartPlot';
    this._summary = document.createElement('p');
    this._summary.className = 'jp-Trackside-ChartSummary';
    this._summary.id = `jp-Trackside-ChartSummary-${UUID.uuid4()}`;
    this.node.setAttribute('aria-describedby', this._summary.id);
    this.node.append(this._plot, this._summary);
    this._themeWatcher = new ThemeWatcher(() => {
      this._theme = null;
      this.scheduleDraw();
    }, options.themeManager);
  }

  /**
   * The metric key drawn.
   */
  readonly key: string;

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
   * Resolves when the pending draw (if any) is done, with the one it has
   * to wait for after a rest.
   */
  async drawn(): Promise<void> {
    while (this._drawing || this._resting) {
      await (this._drawing ?? this._resting);
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

  /**
   * The translations of the charts.
   */
  protected readonly trans: TranslationBundle;

  /**
   * The figure to draw, with the current theme.
   */
  protected abstract buildFigure(theme: IChartTheme): IFigure;

  /**
   * The text summary of what is drawn.
   */
  protected abstract describe(): string;

  /**
   * Called once the graph exists (e.g. to listen to its events).
   */
  protected onPlotCreated(graph: PlotlyChart.IGraphDiv): void {
    // Nothing by default.
  }

  /**
   * Write the text summary again.
   */
  protected updateSummary(): void {
    this._summary.textContent = this.describe();
  }

  /**
   * The width of the plot area in pixels (the axes take some).
   */
  protected plotWidth(): number {
    const width = this._plot.clientWidth || this.node.clientWidth || 300;
    return Math.max(50, width - 60);
  }

  /**
   * Draw once after the current batch of changes; a draw asked for while
   * one runs, or while the chart rests after a slow one, is done after it,
   * with everything new.
   */
  protected scheduleDraw(): void {
    if (this.isDisposed || this._scheduled) {
      return;
    }
    this._scheduled = true;
    void Promise.resolve().then(() => {
      this._scheduled = false;
      if (this._drawing || this._resting) {
        this._redrawAfter = true;
        return;
      }
      this._drawing = this._draw().finally(() => {
        this._drawing = null;
        // Resolved only once the next draw (if any) is scheduled, so that
        // `drawn()` waits for it.
        this._resting = this._rest().then(() => {
          this._resting = null;
          if (this._redrawAfter) {
            this._redrawAfter = false;
            this.scheduleDraw();
          }
        });
      });
    });
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.scheduleDraw();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.scheduleDraw();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    if (this._plotly && this._plotted && this.isVisible) {
      // Plotly resizes later (debounced) and leaves a horizontal legend
      // where it was for the old width, over the plot: draw again after.
      void Promise.resolve(this._plotly.Plots.resize(this._plot)).then(() =>
        this.scheduleDraw()
      );
    }
    // A new width may be a new level of detail.
    this.scheduleDraw();
  }

  private async _draw(): Promise<void> {
    if (this.isDisposed || !this.isAttached || !this.isVisible) {
      return;
    }
    let plotly: IPlotly;
    try {
      plotly = await this._loadPlotly();
    } catch (reason) {
      this._plot.textContent = this.trans.__(
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
    const figure = this.buildFigure(this._theme);
    const start = performance.now();
    if (this._plotted) {
      await plotly.react(this._plot, figure.data, figure.layout, figure.config);
    } else {
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
      this.onPlotCreated(this._plot as PlotlyChart.IGraphDiv);
    }
    this._plotTime = performance.now() - start;
    this.updateSummary();
  }

  /**
   * After a slow draw (a long series, many runs, a busy machine), wait as
   * long as Plotly took before the next one: drawing then takes at most
   * half of the page's main thread, and the rest is left for what feeds the
   * chart (a live stream's messages) and for the user. Live charts would
   * otherwise redraw back to back, and the points they show fall behind.
   */
  private _rest(): Promise<void> {
    const rest = this._plotTime;
    this._plotTime = 0;
    if (rest < Private.MIN_REST) {
      return Promise.resolve();
    }
    return new Promise(resolve => setTimeout(resolve, rest));
  }

  private _loadPlotly: () => Promise<IPlotly>;
  private _themeWatcher: ThemeWatcher;
  private _theme: IChartTheme | null = null;
  private _plot: HTMLDivElement;
  private _summary: HTMLParagraphElement;
  private _plotly: IPlotly | null = null;
  private _plotted = false;
  private _scheduled = false;
  private _drawing: Promise<void> | null = null;
  private _resting: Promise<void> | null = null;
  private _plotTime = 0;
  private _redrawAfter = false;
}

namespace Private {
  /**
   * A draw quicker than this (ms, half a frame) is followed by no rest.
   */
  export const MIN_REST = 8;
}

/**
 * A namespace for `PlotlyChart` statics.
 */
export namespace PlotlyChart {
  /**
   * The options every chart takes.
   */
  export interface IOptions {
    /**
     * The metric key drawn.
     */
    key: string;
    translator?: ITranslator;
    themeManager?: IThemeManager | null;
    /**
     * The class of the plot element; `jp-Trackside-ChartPlot` by default.
     */
    plotClassName?: string;
    /**
     * The Plotly loader (tests).
     */
    loadPlotly?: () => Promise<IPlotly>;
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
}
