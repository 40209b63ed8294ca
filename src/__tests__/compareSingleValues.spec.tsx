import { nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import * as React from 'react';
import { SeriesStore } from '../models/seriesStore';
import { CompareCharts } from '../panels/compare/charts';
import { singleValueKeys } from '../panels/compare/singleValues';
import { Normalize } from '../services/normalize';
import { IBackfill, IRun, ITracksideService } from '../tokens';
import { waitFor } from './fakeServer';
import { inView } from './inView';

const mockPlotly = {
  newPlot: jest.fn(async (node: HTMLElement) => node),
  react: jest.fn(async (node: HTMLElement) => node),
  purge: jest.fn(),
  toImage: jest.fn(),
  Plots: { resize: jest.fn() }
};

jest.mock('../charts/plotly', () => {
  const actual = jest.requireActual('../charts/plotly');
  return { ...actual, loadPlotly: jest.fn(async () => mockPlotly) };
});

const XSS = '<img src=x onerror=alert(1)>';

/**
 * A run whose latest metrics are `{key: [value, step]}`.
 */
function run(
  id: string,
  name: string,
  metrics: Record<string, [number, number]>
): IRun {
  return Normalize.run({
    info: {
      run_id: id,
      run_name: name,
      experiment_id: '1',
      status: 'FINISHED'
    },
    data: {
      params: [],
      metrics: Object.entries(metrics).map(([key, [value, step]]) => ({
        key,
        value,
        step,
        timestamp: 0
      }))
    }
  });
}

function points(values: number[], firstStep = 0) {
  return {
    steps: values.map((_, i) => firstStep + i),
    timestamps: values.map((_, i) => 1000 + i),
    values
  };
}

describe('singleValueKeys', () => {
  let store: SeriesStore;

  beforeEach(() => {
    store = new SeriesStore();
  });

  afterEach(() => {
    store.dispose();
  });

  it('takes a latest value at step 0 for a single one until the history says', () => {
    const runs = [
      run('a', 'first', { acc: [0.9, 0], loss: [0.1, 9] }),
      run('b', XSS, { acc: [0.8, 0] })
    ];
    expect(Array.from(singleValueKeys(runs, store))).toEqual([
      [
        'acc',
        [
          { runId: 'a', runName: 'first', value: 0.9 },
          { runId: 'b', runName: XSS, value: 0.8 }
        ]
      ]
    ]);
    // Several points logged at step 0: a curve after all.
    store.append('b', 'acc', {
      steps: [0, 0],
      timestamps: [1, 2],
      values: [0.7, 0.8]
    });
    expect(singleValueKeys(runs, store).size).toBe(0);
  });

  it('takes a history of one point, at any step, for a single value', () => {
    const runs = [run('a', 'first', { rmse: [0.3, 4] })];
    expect(singleValueKeys(runs, store).size).toBe(0);
    store.append('a', 'rmse', points([0.3], 4));
    store.append('a', 'live', points([2]));
    expect(Array.from(singleValueKeys(runs, store).keys())).toEqual([
      'live',
      'rmse'
    ]);
    store.append('a', 'live', points([3], 1));
    expect(Array.from(singleValueKeys(runs, store).keys())).toEqual(['rmse']);
  });
});

describe('CompareCharts', () => {
  let store: SeriesStore;
  let widget: Widget;
  let requests: string[];

  const figures = (selector: string) =>
    Array.from(widget.node.querySelectorAll(selector)).map(node =>
      node.getAttribute('aria-label')
    );

  beforeEach(async () => {
    store = new SeriesStore();
    requests = [];
    const runs = [
      run('a', 'first', { acc: [0.9, 0], loss: [0.1, 1] }),
      run('b', XSS, { acc: [0.8, 0], loss: [0.2, 1] })
    ];
    store.append('a', 'loss', points([0.5, 0.1]));
    store.flush();
    const backfill: IBackfill = {
      request: (runId, key) => requests.push(`${runId}/${key}`),
      isPending: () => false,
      isStreaming: () => false
    };
    widget = ReactWidget.create(
      <CompareCharts
        runs={runs}
        store={store}
        backfill={backfill}
        service={{} as ITracksideService}
        services={{ store, translator: nullTranslator }}
        trans={nullTranslator.load('jupyterlab_trackside')}
      />
    );
    await inView(async () => {
      Widget.attach(widget, document.body);
      await waitFor(() => figures('.jp-Trackside-Chart').length === 2);
    });
  });

  afterEach(() => {
    widget.dispose();
    store.dispose();
  });

  it('draws a single-value key as bars and a curve key as curves', () => {
    expect(figures('.jp-Trackside-BarChart')).toEqual(['Chart of acc']);
    expect(figures('.jp-Trackside-Chart:not(.jp-Trackside-BarChart)')).toEqual([
      'Chart of loss'
    ]);
    const bars = widget.node.querySelector('.jp-Trackside-BarChart')!;
    expect(bars.closest('section')?.getAttribute('aria-label')).toBe(
      'Single-value metrics'
    );
    expect(
      document.getElementById(bars.getAttribute('aria-describedby')!)
        ?.textContent
    ).toBe(`acc: 2 runs; values: first 0.9, ${XSS} 0.8`);
    expect(widget.node.querySelector('img')).toBeNull();
    // The bars ask for the history that tells one value from several.
    expect(requests).toEqual(expect.arrayContaining(['a/acc', 'b/acc']));
  });

  it('turns the bars into curves when a history holds more points', async () => {
    store.append('a', 'acc', points([0.7, 0.8, 0.9]));
    store.flush();
    await inView(async () => {
      await waitFor(() => figures('.jp-Trackside-BarChart').length === 0);
      await waitFor(() => figures('.jp-Trackside-Chart').length === 2);
    });
    expect(figures('.jp-Trackside-Chart')).toEqual([
      'Chart of acc',
      'Chart of loss'
    ]);
  });
});
