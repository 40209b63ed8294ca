/**
 * Pure builders of the Plotly figure of a single-value metric (one bar per
 * run) and of its text summary. No DOM: tested with jest.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import {
  axisStyle,
  IFigure,
  plotConfig,
  themedLayout,
  titleLayout
} from './figure';
import { escapePlotlyText } from './plotly';
import { IChartTheme } from './theme';

/**
 * The single value of one run for a metric key.
 */
export interface IRunValue {
  readonly runId: string;
  /**
   * The run name as logged (escaped here, never by the caller).
   */
  readonly runName: string;
  /**
   * NaN when the run has no value (no bar is drawn).
   */
  readonly value: number;
}

/**
 * Build the bar figure of one metric key: one horizontal bar per run, in
 * the given order from top to bottom, coloured as the run's curves are.
 */
export function buildBarFigure(options: {
  key: string;
  values: ReadonlyArray<IRunValue>;
  theme: IChartTheme;
  trans: TranslationBundle;
  formatValue?: (value: number) => string;
  /**
   * Show the key as the chart title.
   */
  showTitle?: boolean;
}): IFigure {
  const { key, values, theme, trans } = options;
  const format = options.formatValue ?? String;
  const names = values.map(v => escapePlotlyText(v.runName));
  // Runs are told apart by id (two runs may share a name); the axis shows
  // their names.
  const ids = values.map(v => v.runId);
  const valueLabel = escapePlotlyText(trans.__('value'));
  const data: Array<Record<string, unknown>> = [
    {
      type: 'bar',
      orientation: 'h',
      x: values.map(v => (Number.isFinite(v.value) ? v.value : null)),
      y: ids,
      customdata: names,
      text: values.map(v =>
        Number.isFinite(v.value) ? escapePlotlyText(format(v.value)) : ''
      ),
      textposition: 'auto',
      cliponaxis: false,
      marker: {
        color: values.map(
          (_, index) => theme.palette[index % theme.palette.length]
        )
      },
      // The name comes from `customdata` (escaped), never spliced into the
      // template, so a name like `%{x}` stays text.
      hovertemplate: `<b>%{customdata}</b><br>${valueLabel}: %{x:.6~g}<extra></extra>`,
      showlegend: false
    }
  ];
  const axis = axisStyle(theme);
  const layout: Record<string, unknown> = {
    ...themedLayout(theme),
    ...titleLayout(theme, key, options.showTitle),
    height: barChartHeight(values.length) + (options.showTitle ? 24 : 0),
    showlegend: false,
    bargap: 0.3,
    hovermode: 'closest',
    xaxis: { ...axis, type: 'linear', exponentformat: 'e' },
    yaxis: {
      ...axis,
      type: 'category',
      tickvals: ids,
      ticktext: names,
      // The first run on top, as in the compare table.
      autorange: 'reversed'
    }
  };
  return { data, layout, config: plotConfig() };
}

/**
 * The height in pixels that fits one bar per run.
 */
export function barChartHeight(runs: number): number {
  return Math.min(400, Math.max(120, 40 + 28 * runs));
}

/**
 * The text summary of a bar chart for screen readers, e.g.
 * `accuracy: 2 runs; values: a 0.91, b 0.87`.
 */
export function barChartSummary(
  key: string,
  values: ReadonlyArray<IRunValue>,
  trans: TranslationBundle,
  formatValue: (value: number) => string = String
): string {
  if (values.length === 0) {
    return trans.__('%1: no runs', key);
  }
  const list = values
    .map(v =>
      Number.isFinite(v.value)
        ? trans.__('%1 %2', v.runName, formatValue(v.value))
        : trans.__('%1 no value', v.runName)
    )
    .join(', ');
  return trans._n(
    '%2: %1 run; value: %3',
    '%2: %1 runs; values: %3',
    values.length,
    key,
    list
  );
}
