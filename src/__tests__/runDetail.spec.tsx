import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import { SeriesStore } from '../models/seriesStore';
import { TracksideModel } from '../models/tracksideModel';
import { RunDetailBody } from '../panels/runDetail/body';
import { RunDetailModel } from '../panels/runDetail/model';
import { notebookPath } from '../panels/runDetail/provenance';
import { formatBytes, isSystemTag } from '../panels/runDetail/sections';
import { BackfillScheduler } from '../stream/backfill';
import { IArtifactList, IBackfill, IRun, ITracksideService } from '../tokens';
import { sleep, waitFor } from './fakeServer';
import { inView } from './inView';

// No canvas in jsdom: a Plotly that records what it is asked to draw.
const drawn: Array<ReadonlyArray<Record<string, unknown>>> = [];
jest.mock('../charts/plotly', () => {
  const actual = jest.requireActual('../charts/plotly');
  const fake = {
    newPlot: async (root: HTMLElement, data: Record<string, unknown>[]) => {
      drawn.push(data);
      return root;
    },
    react: async (root: HTMLElement, data: Record<string, unknown>[]) => {
      drawn.push(data);
      return root;
    },
    purge: () => undefined,
    toImage: async () => '',
    Plots: { resize: () => undefined }
  };
  return { ...actual, loadPlotly: async () => fake };
});

const XSS = '<img src=x onerror=alert(1)>';

const RUN: IRun = {
  info: {
    run_id: 'abc123',
    run_name: XSS,
    experiment_id: '1',
    status: 'FINISHED',
    start_time: 1_700_000_000_000,
    end_time: 1_700_000_065_000,
    lifecycle_stage: 'active',
    artifact_uri: 'mlflow-artifacts:/1/abc123/artifacts',
    user_id: 'ada'
  },
  data: {
    metrics: [
      { key: XSS, value: 0.5, step: 3, timestamp: 1 },
      { key: 'loss', value: 0.125, step: 2, timestamp: 1 }
    ],
    params: [{ key: XSS, value: XSS }],
    tags: [
      { key: 'team', value: 'vision' },
      { key: 'mlflow.source.name', value: 'train.ipynb' },
      { key: 'trackside.notebook', value: '/srv/root/work/train.ipynb' },
      { key: 'trackside.cell_id', value: 'cell-2' }
    ]
  }
};

const ARTIFACTS: IArtifactList = {
  root_uri: 'mlflow-artifacts:/1/abc123/artifacts',
  files: [
    { path: 'model', is_dir: true, file_size: null },
    { path: 'plot.png', is_dir: false, file_size: 2048 }
  ],
  nextPageToken: null
};

function fakeService(): ITracksideService & { history: number } {
  const service = {
    history: 0,
    getRun: async () => RUN,
    listArtifacts: async () => ARTIFACTS,
    getMetricHistoryArrow: async () => {
      service.history++;
      return new ArrayBuffer(0);
    }
  };
  return service as unknown as ITracksideService & { history: number };
}

describe('RunDetail', () => {
  let model: TracksideModel;
  let widget: Widget;
  let service: ITracksideService & { history: number };
  let commands: CommandRegistry;
  let opened: unknown[];
  let store: SeriesStore;
  let backfill: BackfillScheduler;

  beforeEach(() => {
    drawn.length = 0;
    service = fakeService();
    model = new TracksideModel({ service });
    commands = new CommandRegistry();
    opened = [];
    const cells = [{ model: { id: 'cell-1' } }, { model: { id: 'cell-2' } }];
    const notebook = {
      widgets: cells,
      activeCellIndex: 0,
      scrollToItem: async () => undefined
    };
    commands.addCommand('docmanager:open', {
      execute: args => {
        opened.push(args);
        return {
          context: { ready: Promise.resolve() },
          revealed: Promise.resolve(),
          content: notebook
        };
      }
    });
    store = new SeriesStore({
      requestFrame: callback => setTimeout(callback, 0) as unknown as number,
      cancelFrame: handle => clearTimeout(handle)
    });
    (globalThis as { notebook?: unknown }).notebook = notebook;
    // The one backfill of the application, as the stream plugin makes it.
    backfill = new BackfillScheduler({ store, client: service, debounce: 0 });
  });

  afterEach(() => {
    widget?.dispose();
    model.dispose();
    backfill.dispose();
    store.dispose();
  });

  function render(withStore = true): void {
    widget = new RunDetailBody({
      model: new RunDetailModel({
        connection: model,
        experimentId: '1',
        runId: 'abc123',
        store: withStore ? store : null,
        backfill: withStore ? backfill : null
      }),
      services: { commands, translator: nullTranslator },
      translator: nullTranslator
    });
    Widget.attach(widget, document.body);
  }

  it('renders every string of the run as text', async () => {
    render(false);
    await waitFor(
      () => !!widget.node.querySelector('.jp-Trackside-DetailName')
    );
    await waitFor(() => widget.node.textContent!.includes('plot.png'));
    expect(
      widget.node.querySelector('.jp-Trackside-DetailName')?.textContent
    ).toBe(XSS);
    expect(widget.node.querySelector('img')).toBeNull();
    const params = widget.node.querySelector(
      'table[aria-label^="Parameters of"]'
    )!;
    expect(params.querySelector('th[scope="row"]')?.textContent).toBe(XSS);
    expect(params.querySelector('td')?.textContent).toBe(XSS);
    const metrics = widget.node.querySelector(
      'table[aria-label^="Latest metrics of"]'
    )!;
    expect(
      Array.from(metrics.querySelectorAll('tbody tr')).map(row =>
        Array.from(row.children).map(cell => cell.textContent)
      )
    ).toEqual([
      [XSS, '0.5'],
      ['loss', '0.125']
    ]);
    expect(widget.node.textContent).toContain('Finished');
    expect(widget.node.textContent).toContain('1 min 5 s');
    expect(widget.node.textContent).toContain('model/');
    expect(widget.node.textContent).toContain('2.05 kB');
    // No store: no charts.
    expect(widget.node.querySelector('.jp-Trackside-ChartHost')).toBeNull();
  });

  it('hides system tags behind a toggle', async () => {
    render(false);
    await waitFor(
      () => !!widget.node.querySelector('table[aria-label^="Tags of"]')
    );
    const tagKeys = () =>
      Array.from(
        widget.node.querySelectorAll(
          'table[aria-label^="Tags of"] th[scope="row"]'
        )
      ).map(cell => cell.textContent);
    expect(tagKeys()).toEqual(['team']);
    const toggle = widget.node.querySelector<HTMLButtonElement>(
      '.jp-Trackside-DetailToggle'
    )!;
    expect(toggle.textContent).toBe('Show 3 system tags');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    toggle.click();
    await waitFor(() => tagKeys().length === 4);
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
  });

  it('opens the notebook at the cell that logged the run', async () => {
    render(false);
    await waitFor(
      () => !!widget.node.querySelector('.jp-Trackside-DetailLink')
    );
    const link = widget.node.querySelector<HTMLButtonElement>(
      '.jp-Trackside-DetailLink'
    )!;
    expect(link.textContent).toBe('srv/root/work/train.ipynb');
    link.click();
    await waitFor(() => opened.length === 1);
    expect(opened[0]).toEqual({
      path: 'srv/root/work/train.ipynb',
      factory: 'Notebook'
    });
    const notebook = (globalThis as { notebook?: { activeCellIndex: number } })
      .notebook!;
    await waitFor(() => notebook.activeCellIndex === 1);
  });

  it('goes back to the runs list', async () => {
    model.showRun('1', 'abc123');
    render(false);
    await waitFor(
      () => !!widget.node.querySelector('.jp-Trackside-DetailBack')
    );
    widget.node
      .querySelector<HTMLButtonElement>('.jp-Trackside-DetailBack')!
      .click();
    expect(model.view.kind).toBe('list');
  });

  it('also charts keys that stream live before MLflow has them', async () => {
    store.append('abc123', 'live_only', {
      steps: [0],
      timestamps: [1],
      values: [0.75]
    });
    await inView(async () => {
      render(true);
      await waitFor(
        () => widget.node.querySelectorAll('.jp-Trackside-Chart').length === 3
      );
      expect(widget.node.textContent).toContain('live_only: 1 run');
    });
  });

  it('draws one chart per metric key, loading its history', async () => {
    await inView(drawsCharts);
  });

  async function drawsCharts(): Promise<void> {
    render(true);
    await waitFor(
      () => widget.node.querySelectorAll('.jp-Trackside-Chart').length === 2
    );
    // One backfill per key from the history endpoint.
    await waitFor(() => service.history === 2);
    const summaries = Array.from(
      widget.node.querySelectorAll('.jp-Trackside-ChartSummary')
    ).map(node => node.textContent);
    expect(summaries).toEqual([
      `${XSS}: 1 run; last value: ${XSS} no points`,
      `loss: 1 run; last value: ${XSS} no points`
    ]);
    store.append('abc123', 'loss', {
      steps: [0, 1, 2],
      timestamps: [1, 2, 3],
      values: [0.5, 0.25, 0.125]
    });
    await waitFor(() =>
      widget.node.textContent!.includes(
        `loss: 1 run; last value: ${XSS} 0.125 (step 2)`
      )
    );
    expect(drawn.length).toBeGreaterThan(0);
    for (const data of drawn) {
      for (const trace of data) {
        expect(trace.type).toBe('scatter');
        expect(String(trace.name)).not.toContain('<');
      }
    }
    expect(widget.node.querySelector('img')).toBeNull();
  }
});

describe('RunDetailModel', () => {
  let connection: TracksideModel;
  let statuses: string[];
  let calls: number;
  let requests: string[];
  let model: RunDetailModel | null;

  function runWith(status: string, latest: number): IRun {
    return {
      ...RUN,
      info: { ...RUN.info, status },
      data: {
        ...RUN.data,
        metrics: [{ key: 'loss', value: latest, step: latest, timestamp: 1 }]
      }
    } as IRun;
  }

  function create(): RunDetailModel {
    const service = {
      getRun: async () => {
        const status = statuses[Math.min(calls, statuses.length - 1)];
        calls++;
        return runWith(status, calls);
      },
      listArtifacts: async () => ARTIFACTS
    } as unknown as ITracksideService;
    connection = new TracksideModel({ service });
    const backfill: IBackfill = {
      request: (runId, key, options) =>
        requests.push(
          `${runId}/${key}${options?.incremental ? ' incremental' : ''}`
        ),
      isPending: () => false,
      isStreaming: () => false
    };
    model = new RunDetailModel({
      connection,
      experimentId: '1',
      runId: 'abc123',
      backfill,
      refreshInterval: 10
    });
    return model;
  }

  beforeEach(() => {
    statuses = ['RUNNING'];
    calls = 0;
    requests = [];
    model = null;
  });

  afterEach(() => {
    model?.dispose();
    connection.dispose();
  });

  it('refreshes a running run while shown and stops when it ends', async () => {
    statuses = ['RUNNING', 'RUNNING', 'RUNNING', 'FINISHED'];
    const model = create();
    connection.isActive = true;
    await waitFor(() => model.run?.info.status === 'FINISHED');
    expect(calls).toBe(4);
    await sleep(100);
    expect(calls).toBe(4);
    // A newer latest value of a run with no live stream asks for the
    // series' new points; its end, for one exact backfill.
    expect(requests).toEqual([
      'abc123/loss incremental',
      'abc123/loss incremental',
      'abc123/loss'
    ]);
  });

  it('loads once while hidden, and again when shown', async () => {
    const model = create();
    await waitFor(() => model.run !== null && model.artifacts !== null);
    await sleep(100);
    expect(calls).toBe(1);
    connection.isActive = true;
    await waitFor(() => calls >= 3);
    connection.isActive = false;
    await sleep(30);
    const count = calls;
    await sleep(100);
    expect(calls).toBe(count);
  });

  it('stops and emits nothing once disposed', async () => {
    const model = create();
    connection.isActive = true;
    await waitFor(() => model.run !== null);
    let emissions = 0;
    model.runChanged.connect(() => emissions++);
    model.artifactsChanged.connect(() => emissions++);
    model.dispose();
    expect(model.isDisposed).toBe(true);
    const count = calls;
    await sleep(100);
    expect(calls).toBeLessThanOrEqual(count + 1);
    expect(emissions).toBe(0);
  });
});

describe('run detail helpers', () => {
  it('tells system tags apart', () => {
    expect(isSystemTag('mlflow.runName')).toBe(true);
    expect(isSystemTag('trackside.cell_id')).toBe(true);
    expect(isSystemTag('team')).toBe(false);
  });

  it('formats byte counts', () => {
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(1500)).toBe('1.5 kB');
    expect(formatBytes(3_200_000)).toBe('3.2 MB');
  });

  it('makes notebook paths relative to the server root', () => {
    expect(notebookPath('/srv/root/a/b.ipynb', '/srv/root')).toBe('a/b.ipynb');
    expect(notebookPath('a/b.ipynb', '/srv/root')).toBe('a/b.ipynb');
    expect(notebookPath('/elsewhere/b.ipynb', '/srv/root')).toBe(
      'elsewhere/b.ipynb'
    );
  });
});
