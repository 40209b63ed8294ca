/**
 * Pure builders of the Plotly figure of a metric chart (traces, layout,
 * config) and of its text summary. No DOM: tested with jest.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { IDecimatedSeries } from './decimate';
import { escapePlotlyText } from './plotly';
import { IChartTheme } from './theme';

/**
 * What the x axis shows: the step, the wall-clock time, or the time since
 * the run started (seconds).
 */
export type XAxisMode = 'step' | 'wall' | 'relative';

/**
 * The user's display choices of a chart.
 */
export interface IChartOptions {
  readonly xAxis: XAxisMode;
  readonly logY: boolean;
  /**
   * The EMA weight in [0, 1); 0 draws no smoothed line.
   */
  readonly smoothing: number;
}

/**
 * The default display choices.
 */
export const DEFAULT_CHART_OPTIONS: IChartOptions = {
  xAxis: 'step',
  logY: false,
  smoothing: 0
};

/**
 * One run's series, ready to draw: x in display units (steps, epoch ms or
 * seconds), `aux` carrying the step of each point.
 */
export interface IFigureSeries {
  readonly runId: string;
  /**
   * The run name as logged (escaped here, never by the caller).
   */
  readonly name: string;
  readonly raw: IDecimatedSeries;
  /**
   * The smoothed series, when smoothing is on.
   */
  readonly smoothed: IDecimatedSeries | null;
}

/**
 * A Plotly figure.
 */
export interface IFigure {
  readonly data: Array<Record<string, unknown>>;
  readonly layout: Record<string, unknown>;
  readonly config: Record<string, unknown>;
}

/**
 * Build the figure of one metric key.
 */
export function buildFigure(options: {
  key: string;
  series: ReadonlyArray<IFigureSeries>;
  chart: IChartOptions;
  theme: IChartTheme;
  trans: TranslationBundle;
  /**
   * Show the key as the chart title (the main-area copy does).
   */
  showTitle?: boolean;
  /**
   * Incremented at every redraw (Plotly's `datarevision`).
   */
  revision?: number;
}): IFigure {
  const { key, series, chart, theme, trans } = options;
  const data: Array<Record<string, unknown>> = [];
  const hovertemplate = Private.hoverTemplate(chart.xAxis, trans);
  series.forEach((s, index) => {
    const color = theme.palette[index % theme.palette.length];
    const name = escapePlotlyText(s.name);
    const group = `run-${index}`;
    const few = s.raw.x.length <= Private.MARKERS_BELOW;
    if (s.raw.envelope.x.length > 0) {
      data.push({
        type: 'scatter',
        mode: 'lines',
        x: s.raw.envelope.x,
        y: s.raw.envelope.y,
        fill: 'toself',
        fillcolor: color,
        opacity: 0.15,
        line: { width: 0, color },
        hoverinfo: 'skip',
        showlegend: false,
        legendgroup: group,
        name
      });
    }
    data.push({
      type: 'scatter',
      mode: few ? 'lines+markers' : 'lines',
      x: s.raw.x,
      y: s.raw.y,
      customdata: Array.from(s.raw.aux),
      name,
      legendgroup: group,
      showlegend: !s.smoothed,
      opacity: s.smoothed ? 0.3 : 1,
      line: { color, width: s.smoothed ? 1 : 1.5 },
      marker: { color, size: 4 },
      hovertemplate,
      meta: { role: 'raw' }
    });
    if (s.smoothed) {
      data.push({
        type: 'scatter',
        mode: 'lines',
        x: s.smoothed.x,
        y: s.smoothed.y,
        customdata: Array.from(s.smoothed.aux),
        name,
        legendgroup: group,
        showlegend: true,
        line: { color, width: 1.75 },
        hovertemplate,
        meta: { role: 'smoothed' }
      });
    }
  });

  const axis = axisStyle(theme);
  const layout: Record<string, unknown> = {
    ...themedLayout(theme),
    ...titleLayout(theme, key, options.showTitle),
    // Keeps the user's zoom and legend choices across data updates; a new
    // axis kind starts afresh.
    uirevision: `${chart.xAxis}|${chart.logY ? 'log' : 'linear'}`,
    datarevision: options.revision ?? 0,
    showlegend: series.length > 1,
    // Above the plot: Plotly grows the top margin to fit it, whereas below
    // it collides with the x axis' ticks and title.
    legend: {
      orientation: 'h',
      x: 0,
      xanchor: 'left',
      y: 1.02,
      yanchor: 'bottom',
      font: { color: theme.fontColor }
    },
    hovermode: 'closest',
    xaxis: {
      ...axis,
      type: chart.xAxis === 'wall' ? 'date' : 'linear',
      title: {
        text: escapePlotlyText(Private.xTitle(chart.xAxis, trans)),
        font: { color: theme.mutedColor, size: theme.fontSize }
      }
    },
    yaxis: {
      ...axis,
      type: chart.logY ? 'log' : 'linear',
      exponentformat: 'e'
    }
  };
  return { data, layout, config: plotConfig() };
}

/**
 * The Plotly config of every Trackside chart.
 */
export function plotConfig(): Record<string, unknown> {
  return {
    displaylogo: false,
    responsive: false,
    displayModeBar: 'hover',
    // Trackside's own toolbar saves PNGs; selection tools mean nothing here;
    // nothing is ever sent to Plotly's cloud.
    modeBarButtonsToRemove: [
      'toImage',
      'select2d',
      'lasso2d',
      'sendChartToCloud',
      'sendDataToCloud',
      'editInChartStudio'
    ],
    showSendToCloud: false,
    showEditInChartStudio: false,
    showLink: false,
    plotlyServerURL: '',
    // Text stays text: no editable titles, no links followed from labels.
    editable: false
  };
}

/**
 * The layout properties of every Trackside chart that come from the theme:
 * background, font, hover label.
 */
export function themedLayout(theme: IChartTheme): Record<string, unknown> {
  return {
    autosize: true,
    paper_bgcolor: theme.background,
    plot_bgcolor: theme.background,
    font: {
      family: theme.fontFamily,
      size: theme.fontSize,
      color: theme.fontColor
    },
    hoverlabel: {
      bgcolor: theme.background,
      bordercolor: theme.lineColor,
      font: { color: theme.fontColor, family: theme.fontFamily }
    }
  };
}

/**
 * The margins of every Trackside chart and, when shown, its title: the
 * metric key (escaped), left-aligned above the plot.
 */
export function titleLayout(
  theme: IChartTheme,
  key: string,
  showTitle: boolean | undefined
): Record<string, unknown> {
  const margin = { l: 8, r: 8, t: showTitle ? 32 : 8, b: 8, pad: 2 };
  if (!showTitle) {
    return { margin };
  }
  return {
    margin,
    title: {
      text: escapePlotlyText(key),
      x: 0,
      xanchor: 'left',
      font: { color: theme.fontColor, size: theme.fontSize + 3 }
    }
  };
}

/**
 * The axis colours of every Trackside chart.
 */
export function axisStyle(theme: IChartTheme): Record<string, unknown> {
  return {
    color: theme.mutedColor,
    gridcolor: theme.gridColor,
    linecolor: theme.lineColor,
    zerolinecolor: theme.lineColor,
    automargin: true,
    tickfont: { color: theme.mutedColor }
  };
}

/**
 * The last point of a run's series, for the summary.
 */
export interface ISummaryRun {
  readonly name: string;
  readonly last: { readonly step: number; readonly value: number } | null;
}

/**
 * The text summary of a chart for screen readers, e.g.
 * `loss: 3 runs; last values: a 0.12 (step 9), b 0.3 (step 9), c no points`.
 */
export function chartSummary(
  key: string,
  runs: ReadonlyArray<ISummaryRun>,
  trans: TranslationBundle,
  formatValue: (value: number) => string = String
): string {
  if (runs.length === 0) {
    return trans.__('%1: no runs', key);
  }
  const values = runs
    .map(run =>
      run.last
        ? trans.__(
            '%1 %2 (step %3)',
            run.name,
            formatValue(run.last.value),
            run.last.step
          )
        : trans.__('%1 no points', run.name)
    )
    .join(', ');
  return trans._n(
    '%2: %1 run; last value: %3',
    '%2: %1 runs; last values: %3',
    runs.length,
    key,
    values
  );
}

namespace Private {
  /**
   * Below this many points, markers show each point.
   */
  export const MARKERS_BELOW = 50;

  /**
   * The hover template: the run name comes from `fullData.name` (already
   * escaped), never spliced into the template, so a name like `%{y}` stays
   * text.
   */
  export function hoverTemplate(
    mode: XAxisMode,
    trans: TranslationBundle
  ): string {
    const step = escapePlotlyText(trans.__('step'));
    const value = escapePlotlyText(trans.__('value'));
    const lines = ['<b>%{fullData.name}</b>', `${step}: %{customdata}`];
    if (mode === 'wall') {
      lines.push(`${escapePlotlyText(trans.__('time'))}: %{x|%H:%M:%S}`);
    } else if (mode === 'relative') {
      lines.push(`${escapePlotlyText(trans.__('time'))}: %{x:.3~f} s`);
    }
    lines.push(`${value}: %{y:.6~g}`);
    return lines.join('<br>') + '<extra></extra>';
  }

  /**
   * The title of the x axis.
   */
  export function xTitle(mode: XAxisMode, trans: TranslationBundle): string {
    switch (mode) {
      case 'wall':
        return trans.__('Time');
      case 'relative':
        return trans.__('Relative time (s)');
      default:
        return trans.__('Step');
    }
  }
}
