import { nullTranslator } from '@jupyterlab/translation';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { MetricChart } from '../charts/metricChart';
import { IPlotly } from '../charts/plotly';
import { SeriesStore } from '../models/seriesStore';
import { ISeriesBatch } from '../wire/decode';
import { ITracksideService } from '../tokens';
import { waitFor } from './fakeServer';

const XSS = '<img src=x onerror=alert(1)>';

/**
 * A recording fake of Plotly's API (no canvas in jsdom).
 */
class FakePlotly implements IPlotly {
  calls: Array<{ fn: string; data?: ReadonlyArray<Record<string, unknown>> }> =
    [];
  /** When each react call started and ended (performance.now()). */
  reactTimes: Array<{ start: number; end: number }> = [];
  /** How long each react takes (ms). */
  reactDelay = 0;
  handlers = new Map<string, (data: Record<string, unknown>) => void>();

  newPlot = async (
    root: HTMLElement,
    data: ReadonlyArray<Record<string, unknown>>
  ) => {
    this.calls.push({ fn: 'newPlot', data });
    (root as unknown as { on: unknown }).on = (
      event: string,
      handler: (data: Record<string, unknown>) => void
    ) => this.handlers.set(event, handler);
    return root;
  };
  react = async (
    root: HTMLElement,
    data: ReadonlyArray<Record<string, unknown>>
  ) => {
    this.calls.push({ fn: 'react', data });
    const start = performance.now();
    if (this.reactDelay) {
      await new Promise(resolve => setTimeout(resolve, this.reactDelay));
    }
    this.reactTimes.push({ start, end: performance.now() });
    return root;
  };
  purge = () => {
    this.calls.push({ fn: 'purge' });
  };
  toImage = async () => 'data:image/png;base64,AAAA';
  /** Resolves a pending resize (Plotly applies resizes later). */
  finishResize: () => void = () => undefined;
  Plots = {
    resize: () => {
      this.calls.push({ fn: 'resize' });
      return new Promise<void>(resolve => {
        this.finishResize = resolve;
      });
    }
  };

  count(fn: string): number {
    return this.calls.filter(call => call.fn === fn).length;
  }

  last(): ReadonlyArray<Record<string, unknown>> {
    return [...this.calls].reverse().find(call => call.data)!.data!;
  }
}

/**
 * Set an input's value as the browser does for a user, past React's value
 * tracker (which would otherwise see no change).
 */
function setNativeValue(input: HTMLInputElement, value: string): void {
  Object.getOwnPropertyDescriptor(
    HTMLInputElement.prototype,
    'value'
  )!.set!.call(input, value);
}

function points(from: number, to: number) {
  const steps = Float64Array.from({ length: to - from }, (_, i) => from + i);
  return {
    steps,
    timestamps: Float64Array.from(steps, s => 1000 + s),
    values: Float64Array.from(steps, s => 1 / (s + 1))
  };
}

describe('MetricChart', () => {
  let store: SeriesStore;
  let plotly: FakePlotly;
  let frames: Array<() => void>;
  let chart: MetricChart;
  let requests: ITracksideService.IMetricHistoryOptions[];
  let backfills: string[];

  const flushFrame = () => {
    const pending = frames;
    frames = [];
    pending.forEach(callback => callback());
  };

  beforeEach(() => {
    frames = [];
    store = new SeriesStore({
      requestFrame: callback => frames.push(callback),
      cancelFrame: () => undefined
    });
    plotly = new FakePlotly();
    requests = [];
    backfills = [];
    const window: ISeriesBatch = {
      runId: 'r1',
      key: 'loss',
      steps: Float64Array.from([10, 11, 12]),
      timestamps: Float64Array.from([1010, 1011, 1012]),
      values: Float64Array.from([5, 6, 7])
    };
    chart = new MetricChart({
      key: 'loss',
      runs: [
        { runId: 'r1', name: XSS, startTime: 1000 },
        { runId: 'r2', name: 'second' }
      ],
      store,
      service: {
        getMetricHistoryArrow: async options => {
          requests.push(options);
          return new ArrayBuffer(8);
        }
      },
      requestBackfill: (runId, key) => backfills.push(`${runId}/${key}`),
      translator: nullTranslator,
      loadPlotly: async () => plotly,
      decode: async () => [window]
    });
  });

  afterEach(() => {
    chart.dispose();
    store.dispose();
  });

  it('asks for a backfill of each run and draws once attached', async () => {
    expect(backfills).toEqual(['r1/loss', 'r2/loss']);
    expect(plotly.calls).toHaveLength(0);
    Widget.attach(chart, document.body);
    await waitFor(() => plotly.count('newPlot') === 1);
    expect(chart.node.getAttribute('role')).toBe('figure');
    expect(chart.node.getAttribute('aria-label')).toBe('Chart of loss');
    expect(chart.summary).toBe(
      `loss: 2 runs; last values: ${XSS} no points, second no points`
    );
  });

  it('redraws once per store frame with Plotly.react, SVG scatter only', async () => {
    Widget.attach(chart, document.body);
    await waitFor(() => plotly.count('newPlot') === 1);
    store.append('r1', 'loss', points(0, 50));
    store.append('r2', 'loss', points(0, 20));
    store.append('r1', 'other', points(0, 20));
    flushFrame();
    await waitFor(() => plotly.count('react') === 1);
    await chart.drawn();
    expect(plotly.count('react')).toBe(1);
    const data = plotly.last();
    expect(data.every(trace => trace.type === 'scatter')).toBe(true);
    expect(data.map(trace => trace.name)).toEqual([
      '&lt;img src=x onerror=alert(1)&gt;',
      'second'
    ]);
    expect((data[0].x as Float64Array).length).toBe(50);
    expect(chart.summary).toContain(`${XSS} 0.0`);
    expect(chart.summary).toContain('(step 49)');
    // The escaped name never becomes markup in the chart's own DOM.
    expect(chart.node.querySelector('img')).toBeNull();

    // Live points extend the trace.
    store.append('r1', 'loss', points(50, 60));
    flushFrame();
    await waitFor(() => plotly.count('react') === 2);
    expect((plotly.last()[0].x as Float64Array).length).toBe(60);
  });

  it('rests as long as a slow draw took, then draws everything new', async () => {
    Widget.attach(chart, document.body);
    await waitFor(() => plotly.count('newPlot') === 1);
    await chart.drawn();
    plotly.reactDelay = 60;
    store.append('r1', 'loss', points(0, 10));
    flushFrame();
    await waitFor(() => plotly.count('react') === 1);
    // Two batches while the slow draw runs: one more draw, after the rest.
    store.append('r1', 'loss', points(10, 20));
    flushFrame();
    store.append('r1', 'loss', points(20, 30));
    flushFrame();
    await chart.drawn();
    expect(plotly.count('react')).toBe(2);
    const [first, second] = plotly.reactTimes;
    expect(first.end - first.start).toBeGreaterThanOrEqual(55);
    expect(second.start - first.end).toBeGreaterThanOrEqual(50);
    expect((plotly.last()[0].x as Float64Array).length).toBe(30);
    expect(chart.summary).toContain('(step 29)');
  });

  it('follows its toolbar: x axis, log scale, smoothing', async () => {
    Widget.attach(chart, document.body);
    store.append('r1', 'loss', points(0, 10));
    flushFrame();
    await waitFor(() => plotly.count('newPlot') === 1);
    await chart.drawn();
    // The toolbar is React: it renders after the attach, and its controls
    // take bubbling events with values set as a user's would be.
    await waitFor(
      () => chart.node.querySelector('.jp-Trackside-ChartLog') !== null
    );
    const log = chart.node.querySelector<HTMLButtonElement>(
      '.jp-Trackside-ChartLog'
    )!;
    expect(log.getAttribute('aria-pressed')).toBe('false');
    log.click();
    expect(chart.options.logY).toBe(true);
    await waitFor(() => log.getAttribute('aria-pressed') === 'true');
    const select = chart.node.querySelector<HTMLSelectElement>(
      '.jp-Trackside-ChartXAxis'
    )!;
    select.value = 'relative';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    expect(chart.options.xAxis).toBe('relative');
    const smoothing = chart.node.querySelector<HTMLInputElement>(
      '.jp-Trackside-ChartSmoothing'
    )!;
    setNativeValue(smoothing, '0.5');
    smoothing.dispatchEvent(new Event('input', { bubbles: true }));
    expect(chart.options.smoothing).toBe(0.5);
    await waitFor(() => plotly.count('react') >= 1);
    await chart.drawn();
    const data = plotly.last();
    const raw = data.find(t => (t.meta as { role: string }).role === 'raw')!;
    // Relative time in seconds from the run start (1000 ms).
    expect(Array.from(raw.x as Float64Array).slice(0, 2)).toEqual([0, 0.001]);
    expect(
      data.some(t => (t.meta as { role: string }).role === 'smoothed')
    ).toBe(true);
  });

  it('loads a zoomed range at full fidelity and drops it on reset', async () => {
    Widget.attach(chart, document.body);
    store.append('r1', 'loss', points(0, 100));
    flushFrame();
    await waitFor(() => plotly.count('newPlot') === 1);
    await chart.drawn();
    plotly.handlers.get('plotly_relayout')!({
      'xaxis.range[0]': 9.5,
      'xaxis.range[1]': 12.5
    });
    await waitFor(() => requests.length === 1);
    expect(requests[0]).toMatchObject({
      runIds: ['r1', 'r2'],
      keys: ['loss'],
      startStep: 9,
      endStep: 13
    });
    await waitFor(() => plotly.count('react') === 1);
    await chart.drawn();
    const zoomed = plotly.last()[0];
    expect(Array.from(zoomed.y as Float64Array)).toContain(6);
    plotly.handlers.get('plotly_relayout')!({ 'xaxis.autorange': true });
    await waitFor(() => plotly.count('react') === 2);
    expect(Array.from(plotly.last()[0].y as Float64Array)).not.toContain(6);
  });

  it('draws again once Plotly has applied a resize', async () => {
    Widget.attach(chart, document.body);
    store.append('r1', 'loss', points(0, 10));
    flushFrame();
    await waitFor(() => plotly.count('newPlot') === 1);
    await chart.drawn();
    MessageLoop.sendMessage(chart, Widget.ResizeMessage.UnknownSize);
    await waitFor(() => plotly.count('resize') === 1);
    await chart.drawn();
    const before = plotly.count('react');
    // The legend Plotly placed for the old width is only moved by a redraw
    // after the resize itself.
    plotly.finishResize();
    await waitFor(() => plotly.count('react') === before + 1);
    const order = plotly.calls.map(call => call.fn);
    expect(order.lastIndexOf('react')).toBeGreaterThan(
      order.lastIndexOf('resize')
    );
  });

  it('purges Plotly and stops listening when disposed', async () => {
    Widget.attach(chart, document.body);
    await waitFor(() => plotly.count('newPlot') === 1);
    await chart.drawn();
    chart.dispose();
    expect(plotly.count('purge')).toBe(1);
    store.append('r1', 'loss', points(0, 10));
    flushFrame();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(plotly.count('react')).toBe(0);
    chart.dispose();
    expect(plotly.count('purge')).toBe(1);
  });

  it('saves a PNG', async () => {
    Widget.attach(chart, document.body);
    await waitFor(() => plotly.count('newPlot') === 1);
    expect(await chart.toImage()).toMatch(/^data:image\/png/);
  });
});
