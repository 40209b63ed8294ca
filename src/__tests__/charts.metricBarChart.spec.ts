import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { barChartSummary, buildBarFigure } from '../charts/barFigure';
import { MetricBarChart } from '../charts/metricBarChart';
import { IPlotly } from '../charts/plotly';
import { FALLBACK_THEME } from '../charts/theme';
import { waitFor } from './fakeServer';

const XSS = '<img src=x onerror=alert(1)>';
const trans = nullTranslator.load('jupyterlab_trackside');

const VALUES = [
  { runId: 'a', runName: 'first', value: 0.91 },
  { runId: 'b', runName: XSS, value: 0.87 },
  { runId: 'c', runName: 'first', value: NaN }
];

/**
 * A recording fake of Plotly's API (no canvas in jsdom).
 */
class FakePlotly implements IPlotly {
  calls: Array<{
    fn: string;
    node?: HTMLElement;
    data?: ReadonlyArray<Record<string, unknown>>;
    layout?: Record<string, unknown>;
  }> = [];
  newPlot = async (
    node: HTMLElement,
    data: ReadonlyArray<Record<string, unknown>>,
    layout?: Record<string, unknown>
  ) => {
    this.calls.push({ fn: 'newPlot', node, data, layout });
    return node;
  };
  react = async (
    node: HTMLElement,
    data: ReadonlyArray<Record<string, unknown>>,
    layout?: Record<string, unknown>
  ) => {
    this.calls.push({ fn: 'react', node, data, layout });
    return node;
  };
  purge = (node: HTMLElement) => {
    this.calls.push({ fn: 'purge', node });
  };
  toImage = async () => 'data:image/png;base64,AAAA';
  Plots = { resize: () => undefined };
}

describe('buildBarFigure', () => {
  const figure = buildBarFigure({
    key: 'accuracy',
    values: VALUES,
    theme: FALLBACK_THEME,
    trans
  });
  const [bars] = figure.data;

  it('draws one horizontal bar per run, told apart by id', () => {
    expect(figure.data).toHaveLength(1);
    expect(bars.type).toBe('bar');
    expect(bars.orientation).toBe('h');
    expect(bars.y).toEqual(['a', 'b', 'c']);
    expect(bars.x).toEqual([0.91, 0.87, null]);
    const yaxis = figure.layout.yaxis as Record<string, unknown>;
    expect(yaxis.tickvals).toEqual(['a', 'b', 'c']);
    expect(yaxis.autorange).toBe('reversed');
  });

  it('colours each run as its curves and takes the theme', () => {
    expect((bars.marker as { color: string[] }).color).toEqual(
      FALLBACK_THEME.palette.slice(0, 3)
    );
    expect(figure.layout.paper_bgcolor).toBe(FALLBACK_THEME.background);
  });

  it('escapes run names in labels and hover text', () => {
    const yaxis = figure.layout.yaxis as Record<string, unknown>;
    expect(yaxis.ticktext).toEqual([
      'first',
      '&lt;img src=x onerror=alert(1)&gt;',
      'first'
    ]);
    expect(bars.customdata).toEqual(yaxis.ticktext);
    expect(bars.hovertemplate).toContain('%{customdata}');
    expect(JSON.stringify(figure)).not.toContain('<img');
  });

  it('grows with the number of runs', () => {
    const taller = buildBarFigure({
      key: 'accuracy',
      values: [...VALUES, ...VALUES].map((v, i) => ({ ...v, runId: `${i}` })),
      theme: FALLBACK_THEME,
      trans
    });
    expect(taller.layout.height as number).toBeGreaterThan(
      figure.layout.height as number
    );
  });
});

describe('barChartSummary', () => {
  it('lists every run and its value as text', () => {
    expect(barChartSummary('accuracy', VALUES, trans)).toBe(
      `accuracy: 3 runs; values: first 0.91, ${XSS} 0.87, first no value`
    );
    expect(barChartSummary('rmse', [], trans)).toBe('rmse: no runs');
  });
});

describe('MetricBarChart', () => {
  let plotly: FakePlotly;
  let chart: MetricBarChart;

  beforeEach(() => {
    plotly = new FakePlotly();
    chart = new MetricBarChart({
      key: 'accuracy',
      values: VALUES,
      loadPlotly: async () => plotly
    });
    Widget.attach(chart, document.body);
  });

  afterEach(() => {
    chart.dispose();
  });

  it('is a figure described by its text summary', () => {
    expect(chart.node.getAttribute('role')).toBe('figure');
    expect(chart.node.getAttribute('aria-label')).toBe('Chart of accuracy');
    const summary = document.getElementById(
      chart.node.getAttribute('aria-describedby')!
    );
    expect(summary?.textContent).toBe(chart.summary);
    expect(chart.summary).toContain('first 0.91');
    expect(chart.node.querySelector('img')).toBeNull();
    expect(chart.node.textContent).toContain(XSS);
  });

  it('draws with Plotly on attach and redraws new values', async () => {
    await waitFor(() => plotly.calls.length === 1);
    await chart.drawn();
    expect(plotly.calls[0].fn).toBe('newPlot');
    expect(plotly.calls[0].node).toBe(chart.plotNode);
    chart.values = [{ runId: 'a', runName: 'first', value: 0.5 }];
    await waitFor(() => plotly.calls.length === 2);
    expect(plotly.calls[1].fn).toBe('react');
    expect(plotly.calls[1].data![0].x).toEqual([0.5]);
    expect(chart.summary).toBe('accuracy: 1 run; value: first 0.5');
  });

  it('purges its graph when disposed', async () => {
    await waitFor(() => plotly.calls.length === 1);
    await chart.drawn();
    chart.dispose();
    expect(plotly.calls.map(call => call.fn)).toEqual(['newPlot', 'purge']);
    expect(plotly.calls[1].node).toBe(chart.plotNode);
    chart.dispose();
    expect(plotly.calls).toHaveLength(2);
  });

  it('says so when Plotly cannot be loaded', async () => {
    const error = jest.spyOn(console, 'error').mockImplementation(() => {});
    const failing = new MetricBarChart({
      key: 'rmse',
      values: VALUES,
      loadPlotly: () => Promise.reject(new Error('offline'))
    });
    Widget.attach(failing, document.body);
    await waitFor(() => failing.plotNode.textContent !== '');
    expect(failing.plotNode.textContent).toBe(
      'The chart library could not be loaded.'
    );
    failing.dispose();
    error.mockRestore();
  });
});
