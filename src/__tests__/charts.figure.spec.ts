import { nullTranslator } from '@jupyterlab/translation';
import { decimate } from '../charts/decimate';
import {
  buildFigure,
  chartSummary,
  DEFAULT_CHART_OPTIONS,
  IFigureSeries
} from '../charts/figure';
import { escapePlotlyText } from '../charts/plotly';
import { SeriesView, spliceWindow } from '../charts/seriesView';
import { FALLBACK_THEME } from '../charts/theme';

const trans = nullTranslator.load('jupyterlab_trackside');
const XSS = '<img src=x onerror=alert(1)>';

function figureSeries(
  name: string,
  n: number,
  smoothed = false
): IFigureSeries {
  const x = Float64Array.from({ length: n }, (_, i) => i);
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * (i % 97));
  return {
    runId: `id-${name}`,
    name,
    raw: decimate(x, y, { width: 100 }, x),
    smoothed: smoothed ? decimate(x, y, { width: 100 }, x) : null
  };
}

describe('escapePlotlyText', () => {
  it('escapes the characters Plotly reads as markup', () => {
    expect(escapePlotlyText(XSS)).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(escapePlotlyText(`a&b "c" 'd'`)).toBe(
      'a&amp;b &quot;c&quot; &#39;d&#39;'
    );
    expect(escapePlotlyText('loss/val')).toBe('loss/val');
  });
});

describe('buildFigure', () => {
  it('draws SVG scatter traces only, one per run, with escaped names', () => {
    const figure = buildFigure({
      key: XSS,
      series: [figureSeries(XSS, 10), figureSeries('b', 10)],
      chart: DEFAULT_CHART_OPTIONS,
      theme: FALLBACK_THEME,
      trans,
      showTitle: true
    });
    expect(figure.data).toHaveLength(2);
    for (const trace of figure.data) {
      expect(trace.type).toBe('scatter');
    }
    expect(figure.data[0].name).toBe(escapePlotlyText(XSS));
    const json = JSON.stringify(figure);
    expect(json).not.toContain('<img');
    expect((figure.layout.title as { text: string }).text).toBe(
      escapePlotlyText(XSS)
    );
    // Run names reach the hover text through `fullData.name`, never spliced
    // into the template.
    const template = figure.data[0].hovertemplate as string;
    expect(template).toContain('%{fullData.name}');
    expect(template).not.toContain('img');
    expect(template).toContain('%{customdata}');
    expect(figure.layout.showlegend).toBe(true);
    // Few points: markers show them.
    expect(figure.data[0].mode).toBe('lines+markers');
    // Nothing can be sent to Plotly's cloud.
    expect(figure.config.showSendToCloud).toBe(false);
    expect(figure.config.plotlyServerURL).toBe('');
    expect(figure.config.modeBarButtonsToRemove).toContain('sendChartToCloud');
  });

  it('adds a min/max envelope where points were decimated', () => {
    const figure = buildFigure({
      key: 'loss',
      series: [figureSeries('a', 5000)],
      chart: DEFAULT_CHART_OPTIONS,
      theme: FALLBACK_THEME,
      trans
    });
    expect(figure.data).toHaveLength(2);
    const [envelope, line] = figure.data;
    expect(envelope.fill).toBe('toself');
    expect(envelope.hoverinfo).toBe('skip');
    expect(envelope.showlegend).toBe(false);
    expect(line.mode).toBe('lines');
    expect(figure.layout.showlegend).toBe(false);
    expect(figure.layout.title).toBeUndefined();
  });

  it('draws the smoothed line over a faint raw line', () => {
    const figure = buildFigure({
      key: 'loss',
      series: [figureSeries('a', 20, true)],
      chart: { ...DEFAULT_CHART_OPTIONS, smoothing: 0.6 },
      theme: FALLBACK_THEME,
      trans
    });
    const raw = figure.data.find(
      t => (t.meta as { role: string }).role === 'raw'
    )!;
    const smooth = figure.data.find(
      t => (t.meta as { role: string }).role === 'smoothed'
    )!;
    expect(raw.opacity).toBeLessThan(0.5);
    expect(raw.showlegend).toBe(false);
    expect(smooth.showlegend).toBe(true);
    expect(smooth.legendgroup).toBe(raw.legendgroup);
  });

  it('sets the axes from the options and keeps the zoom across updates', () => {
    const build = (revision: number, logY: boolean) =>
      buildFigure({
        key: 'loss',
        series: [figureSeries('a', 10)],
        chart: { xAxis: 'wall', logY, smoothing: 0 },
        theme: FALLBACK_THEME,
        trans,
        revision
      });
    const first = build(1, true);
    const second = build(2, true);
    expect((first.layout.xaxis as { type: string }).type).toBe('date');
    expect((first.layout.yaxis as { type: string }).type).toBe('log');
    expect(first.layout.uirevision).toBe(second.layout.uirevision);
    expect(first.layout.datarevision).not.toBe(second.layout.datarevision);
    expect(build(3, false).layout.uirevision).not.toBe(first.layout.uirevision);
  });

  it('takes its colours from the theme', () => {
    const theme = {
      ...FALLBACK_THEME,
      background: 'rgb(1, 2, 3)',
      fontColor: 'rgb(4, 5, 6)',
      palette: ['rgb(7, 8, 9)']
    };
    const figure = buildFigure({
      key: 'loss',
      series: [figureSeries('a', 10)],
      chart: DEFAULT_CHART_OPTIONS,
      theme,
      trans
    });
    expect(figure.layout.paper_bgcolor).toBe('rgb(1, 2, 3)');
    expect((figure.layout.font as { color: string }).color).toBe(
      'rgb(4, 5, 6)'
    );
    expect((figure.data[0].line as { color: string }).color).toBe(
      'rgb(7, 8, 9)'
    );
  });
});

describe('chartSummary', () => {
  it('says how many runs and their last values', () => {
    expect(
      chartSummary(
        'loss',
        [
          { name: 'a', last: { step: 9, value: 0.125 } },
          { name: XSS, last: null }
        ],
        trans
      )
    ).toBe(`loss: 2 runs; last values: a 0.125 (step 9), ${XSS} no points`);
    expect(
      chartSummary('acc', [{ name: 'a', last: { step: 1, value: 1 } }], trans)
    ).toBe('acc: 1 run; last value: a 1 (step 1)');
    expect(chartSummary('acc', [], trans)).toBe('acc: no runs');
  });
});

describe('SeriesView', () => {
  function columns(n: number) {
    const steps = Float64Array.from({ length: n }, (_, i) => i);
    return {
      steps,
      timestamps: Float64Array.from(steps, s => 1_000_000 + s * 500),
      values: Float64Array.from(steps, s => s * 2),
      length: n
    };
  }

  it('feeds only new points at the tail and rebuilds on earlier changes', () => {
    const view = new SeriesView({ runId: 'r', key: 'loss' });
    view.configure({ xAxis: 'step', width: 200, smoothing: 0 });
    view.sync(columns(100));
    expect(view.rebuilds).toBe(1);
    expect(view.consumed).toBe(100);
    view.invalidate(100);
    view.sync(columns(150));
    expect(view.rebuilds).toBe(1);
    expect(view.consumed).toBe(150);
    expect(view.raw().x.length).toBe(150);
    view.invalidate(20);
    view.sync(columns(150));
    expect(view.rebuilds).toBe(2);
    view.configure({ xAxis: 'step', width: 300, smoothing: 0 });
    view.sync(columns(150));
    expect(view.rebuilds).toBe(3);
  });

  it('gives relative time in seconds from the run start and steps as aux', () => {
    const view = new SeriesView({
      runId: 'r',
      key: 'loss',
      startTime: 1_000_000 - 1000
    });
    view.configure({ xAxis: 'relative', width: 200, smoothing: 0.5 });
    view.sync(columns(3));
    const raw = view.raw();
    expect(Array.from(raw.x)).toEqual([1, 1.5, 2]);
    expect(Array.from(raw.aux)).toEqual([0, 1, 2]);
    const smoothed = view.smoothed()!;
    expect(smoothed.y[0]).toBe(0);
    expect(smoothed.y[2]).toBeLessThan(4);
    expect(Array.from(view.xOf(columns(2)))).toEqual([1, 1.5]);
  });

  it('splices a full-fidelity zoom window into the decimated points', () => {
    const series = decimate([0, 10, 20, 30], [1, 2, 3, 4], {}, [0, 1, 2, 3]);
    const spliced = spliceWindow(series, {
      x0: 5,
      x1: 25,
      x: Float64Array.from([11, 12]),
      y: Float64Array.from([7, 8]),
      aux: Float64Array.from([11, 12])
    });
    expect(Array.from(spliced.x)).toEqual([0, 11, 12, 30]);
    expect(Array.from(spliced.y)).toEqual([1, 7, 8, 4]);
  });
});
