import { Format } from '../models/format';
import { barChartSummary, buildBarFigure, IRunValue } from './barFigure';
import { IFigure } from './figure';
import { PlotlyChart } from './plotlyChart';
import { IChartTheme } from './theme';

/**
 * A bar chart of a single-value metric (accuracy, rmse): one bar per run.
 * Drawn instead of a one-point line chart where every run logged the key
 * once.
 *
 * Run names are escaped before they reach Plotly; lazy Plotly, theme
 * colours, the text summary and `Plotly.purge` on dispose come from
 * `PlotlyChart`.
 */
export class MetricBarChart extends PlotlyChart {
  /**
   * Create a bar chart.
   */
  constructor(options: MetricBarChart.IOptions) {
    // The plot's height follows the number of bars (set in the layout).
    super({ ...options, plotClassName: 'jp-Trackside-BarChartPlot' });
    this._values = [...options.values];
    this._showTitle = options.showTitle ?? false;
    this.addClass('jp-Trackside-BarChart');
    if (!this._showTitle) {
      const header = document.createElement('div');
      header.className = 'jp-Trackside-ChartToolbar';
      const title = document.createElement('span');
      title.className = 'jp-Trackside-ChartTitle';
      title.textContent = this.key;
      title.title = this.key;
      header.appendChild(title);
      this.node.prepend(header);
    }
    this.updateSummary();
  }

  /**
   * The value of each run, in drawing order (top to bottom).
   */
  get values(): ReadonlyArray<IRunValue> {
    return this._values;
  }
  set values(values: ReadonlyArray<IRunValue>) {
    this._values = [...values];
    this.updateSummary();
    this.scheduleDraw();
  }

  protected buildFigure(theme: IChartTheme): IFigure {
    return buildBarFigure({
      key: this.key,
      values: this._values,
      theme,
      trans: this.trans,
      formatValue: Format.metricValue,
      showTitle: this._showTitle
    });
  }

  protected describe(): string {
    return barChartSummary(
      this.key,
      this._values,
      this.trans,
      Format.metricValue
    );
  }

  private _values: IRunValue[];
  private _showTitle: boolean;
}

/**
 * A namespace for `MetricBarChart` statics.
 */
export namespace MetricBarChart {
  /**
   * The options to create a bar chart.
   */
  export interface IOptions extends Omit<
    PlotlyChart.IOptions,
    'plotClassName'
  > {
    values: ReadonlyArray<IRunValue>;
    /**
     * Show the key as the Plotly title instead of a text header.
     */
    showTitle?: boolean;
  }
}
