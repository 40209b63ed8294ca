import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { SeriesStore } from '../models/seriesStore';
import { TracksideModel } from '../models/tracksideModel';
import { Normalize } from '../services/normalize';
import { IExperiment, ITracksideService } from '../tokens';
import { CompareBody } from '../panels/compare/body';
import { chartSpecs } from '../panels/compare/charts';
import { CompareModel } from '../panels/compare/model';
import { BackfillScheduler } from '../stream/backfill';
import { sleep, waitFor } from './fakeServer';
import { inView } from './inView';

/**
 * A recording stand-in for Plotly (jsdom has no SVG layout).
 */
interface IMockPlotly {
  calls: { node: HTMLElement; data: any[]; layout: any }[];
  purged: HTMLElement[];
  [name: string]: unknown;
}

const mockPlotly: IMockPlotly = {
  calls: [],
  purged: [],
  react: jest.fn(async (node: HTMLElement, data: any[], layout: any) => {
    mockPlotly.calls.push({ node, data, layout });
    node.classList.add('js-plotly-plot');
    return node;
  }),
  newPlot: jest.fn(),
  purge: jest.fn((node: HTMLElement): void => {
    mockPlotly.purged.push(node);
  }),
  toImage: jest.fn(),
  Plots: { resize: jest.fn() }
};

jest.mock('../charts/plotly', () => {
  const actual = jest.requireActual('../charts/plotly');
  return {
    ...actual,
    loadPlotly: jest.fn(async () => mockPlotly)
  };
});

const XSS = '<img src=x onerror=alert(1)>';

function run(
  id: string,
  name: string,
  params: Record<string, string>,
  metrics: Record<string, number>
) {
  return Normalize.run({
    info: {
      run_id: id,
      run_name: name,
      experiment_id: '1',
      status: 'FINISHED'
    },
    data: {
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(metrics).map(([key, value]) => ({
        key,
        value,
        step: 0,
        timestamp: 0
      }))
    }
  });
}

const RUNS = {
  a: run('a', 'first', { alpha: '0.1', seed: '1' }, { rmse: 0.5, acc: 0.7 }),
  b: run(
    'b',
    XSS,
    { alpha: '1', seed: '1', solver: XSS },
    { rmse: 0.2, acc: 0.9 }
  ),
  c: run('c', 'third', { alpha: '10', seed: '1' }, { rmse: 0.4, acc: 0.8 })
};

describe('CompareView', () => {
  let model: TracksideModel;
  let widget: Widget;
  let store: SeriesStore;
  let backfill: BackfillScheduler;

  beforeEach(async () => {
    mockPlotly.calls.length = 0;
    mockPlotly.purged.length = 0;
    const service = {
      getRun: async (id: string) => {
        const found = (RUNS as Record<string, any>)[id];
        if (!found) {
          throw new Error(`Run '${id}' not found`);
        }
        return found;
      },
      // The curves' backfill waits: these tests feed the store themselves.
      getMetricHistoryArrow: () => new Promise<never>(() => undefined)
    } as unknown as ITracksideService;
    store = new SeriesStore();
    backfill = new BackfillScheduler({ store, client: service, debounce: 0 });
    model = new TracksideModel({ service });
    model.showCompare(['a', 'b', 'c', 'gone']);
    await render();
  });

  async function render(): Promise<void> {
    widget = new CompareBody({
      model: new CompareModel({
        connection: model,
        runIds: ['a', 'b', 'c', 'gone'],
        store,
        backfill
      }),
      services: { translator: nullTranslator },
      translator: nullTranslator
    });
    Widget.attach(widget, document.body);
    await waitFor(
      () => widget.node.querySelector('.jp-Trackside-CompareTable') !== null
    );
  }

  afterEach(() => {
    widget.dispose();
    model.dispose();
    backfill.dispose();
    store.dispose();
  });

  const cellTexts = (key: string) => {
    const row = Array.from(
      widget.node.querySelectorAll('.jp-Trackside-CompareRow')
    ).find(
      r => r.querySelector('.jp-Trackside-CompareKeyName')?.textContent === key
    );
    return Array.from(row?.querySelectorAll('td') ?? []).map(
      td => td.textContent
    );
  };

  it('shows the runs side by side as text, with a failed run reported', () => {
    const headers = Array.from(
      widget.node.querySelectorAll('.jp-Trackside-CompareRunName')
    ).map(h => h.textContent);
    expect(headers).toEqual(['first', XSS, 'third']);
    expect(widget.node.querySelector('img')).toBeNull();
    expect(cellTexts('alpha')).toEqual(['0.1', '1', '10']);
    expect(cellTexts('solver')).toEqual(['—', XSS, '—']);
    expect(widget.node.querySelector('[role="alert"]')?.textContent).toContain(
      "Run 'gone' not found"
    );
  });

  it('highlights the best value per metric, lower or higher as chosen', async () => {
    const best = (key: string) =>
      Array.from(widget.node.querySelectorAll('.jp-Trackside-CompareRow'))
        .find(
          r =>
            r.querySelector('.jp-Trackside-CompareKeyName')?.textContent === key
        )
        ?.querySelector('td.jp-mod-best')?.textContent;
    expect(best('rmse')).toBe('0.2★(best)');
    expect(best('acc')).toBe('0.9★(best)');
    const select = widget.node.querySelector<HTMLSelectElement>(
      'select[aria-label="Best value of rmse"]'
    )!;
    expect(select.value).toBe('min');
    select.value = 'max';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    await waitFor(() => best('rmse') === '0.5★(best)');
  });

  it('hides identical rows with "Differences only"', async () => {
    const toggle = Array.from(widget.node.querySelectorAll('button')).find(
      b => b.textContent === 'Differences only'
    )!;
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    expect(cellTexts('seed')).toHaveLength(3);
    toggle.click();
    await waitFor(() => toggle.getAttribute('aria-pressed') === 'true');
    expect(cellTexts('seed')).toHaveLength(0);
    expect(cellTexts('alpha')).toHaveLength(3);
    expect(widget.node.textContent).toContain('1 identical row hidden');
  });

  it('draws escaped parcoords and scatter plots and purges them', async () => {
    await waitFor(() => mockPlotly.calls.length >= 2);
    const parcoords = mockPlotly.calls.find(
      c => c.data[0].type === 'parcoords'
    )!;
    const labels = parcoords.data[0].dimensions.map((d: any) => d.label);
    expect(labels).toEqual(['alpha', 'solver', 'rmse']);
    const solver = parcoords.data[0].dimensions[1];
    expect(solver.ticktext).toEqual([XSS, '—']);
    const scatter = mockPlotly.calls.find(c => c.data[0].type === 'scatter')!;
    expect(scatter.data[0].text).toEqual([
      'first',
      '&lt;img src=x onerror=alert(1)&gt;',
      'third'
    ]);
    // Only the parcoords tick texts (drawn as plain text) hold it raw.
    const html = mockPlotly.calls.map(c => [
      c.data.map((t: any) => ({
        ...t,
        dimensions: t.dimensions?.map((d: any) => ({ ...d, ticktext: [] }))
      })),
      c.layout
    ]);
    expect(JSON.stringify(html)).not.toContain('<img');
    expect(widget.node.textContent).toContain(
      'Parallel coordinates of 3 runs: 2 param axes, then rmse (lower is better).'
    );

    const nodes = Array.from(new Set(mockPlotly.calls.map(c => c.node)));
    widget.dispose();
    expect(mockPlotly.purged).toEqual(expect.arrayContaining(nodes));
  });

  it('overlays the runs in one chart per metric key', async () => {
    const charts = () =>
      Array.from(widget.node.querySelectorAll('.jp-Trackside-Chart')).map(
        chart => chart.getAttribute('aria-label')
      );
    const points = (values: number[]) => ({
      steps: values.map((_, step) => step),
      timestamps: values.map((_, step) => 1000 + step),
      values
    });
    // Curves, not single values: a run has several points of each key.
    store.append('a', 'acc', points([0.6, 0.7]));
    store.append('a', 'rmse', points([0.9, 0.5]));
    store.flush();
    widget.dispose();
    await inView(async () => {
      await render();
      await waitFor(() => charts().length === 2);
    });
    expect(charts()).toEqual(['Chart of acc', 'Chart of rmse']);
    const rmse = widget.node.querySelectorAll('.jp-Trackside-Chart')[1];
    const summary = () =>
      document.getElementById(rmse.getAttribute('aria-describedby')!)
        ?.textContent ?? '';
    store.append('b', 'rmse', points([0.8, 0.4, 0.2]));
    store.flush();
    await waitFor(() => summary().includes('(step 2)'));
    expect(summary()).toBe(
      `rmse: 3 runs; last values: first 0.5 (step 1), ${XSS} 0.2 (step 2), third no points`
    );
    expect(widget.node.querySelector('img')).toBeNull();
  });

  it('goes back to the list', () => {
    const back = Array.from(widget.node.querySelectorAll('button')).find(
      b => b.textContent === 'Back to runs'
    )!;
    back.click();
    expect(model.view).toEqual({ kind: 'list' });
  });
});

describe('CompareModel', () => {
  const service = {
    getRun: async (id: string) => {
      if (id === 'gone') {
        throw new Error(`Run '${id}' not found`);
      }
      return (RUNS as Record<string, unknown>)[id];
    }
  } as unknown as ITracksideService;

  it('loads the runs in the order asked and reports the failures', async () => {
    const connection = new TracksideModel({ service });
    const model = new CompareModel({
      connection,
      runIds: ['c', 'gone', 'a'],
      experiments: () => [{ experiment_id: '1', name: 'mnist' } as IExperiment]
    });
    expect(model.runs).toBeNull();
    await waitFor(() => model.runs !== null);
    expect(model.runs?.map(run => run.info.run_id)).toEqual(['c', 'a']);
    expect(model.failures).toEqual([
      { runId: 'gone', message: "Run 'gone' not found" }
    ]);
    expect(model.experimentName('1')).toBe('mnist');
    expect(model.experimentName('2')).toBeNull();
    model.dispose();
    connection.dispose();
  });

  it('emits nothing once disposed', async () => {
    const connection = new TracksideModel({ service });
    const model = new CompareModel({ connection, runIds: ['a'] });
    let emissions = 0;
    model.changed.connect(() => emissions++);
    model.dispose();
    await sleep(10);
    expect(emissions).toBe(0);
    expect(model.runs).toBeNull();
    connection.dispose();
  });
});

describe('chartSpecs', () => {
  it('gives each key the runs that logged it, live keys included', () => {
    const specs = chartSpecs([RUNS.a, RUNS.b], runId =>
      runId === 'b' ? ['val_loss', 'rmse'] : []
    );
    expect(
      specs.map(spec => [spec.key, spec.runs.map(run => run.runId)])
    ).toEqual([
      ['acc', ['a', 'b']],
      ['rmse', ['a', 'b']],
      ['val_loss', ['b']]
    ]);
    expect(specs[0].runs[1].name).toBe(XSS);
  });
});
