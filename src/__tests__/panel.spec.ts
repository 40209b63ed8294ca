import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import { preloadChartLibraries } from '../charts/preload';
import { TracksideModel } from '../models/tracksideModel';
import { TracksideClient } from '../services/client';
import { Format } from '../models/format';
import { RunsModel } from '../panels/runs/model';
import { CompareBody } from '../panels/compare/body';
import { RunDetailBody } from '../panels/runDetail/body';
import { TracksidePanel } from '../panels/sidebar/panel';
import { TracksideView } from '../panels/sidebar/view';
import { FakeServer, healthyBackend, json, waitFor } from './fakeServer';

jest.mock('../charts/preload', () => ({ preloadChartLibraries: jest.fn() }));

const EXPERIMENTS = [
  { experiment_id: '1', name: 'old <b>exp</b>', last_update_time: 1000 },
  {
    experiment_id: '2',
    name: 'mnist',
    last_update_time: Date.now() - 5 * 60 * 1000
  }
];

const RUNS = {
  '2': [
    {
      info: {
        run_id: 'r1',
        run_name: '<img src=x onerror=alert(1)>',
        experiment_id: '2',
        status: 'RUNNING',
        start_time: Date.now() - 65000
      },
      data: {
        metrics: [
          { key: 'loss', value: 0.123456, step: 1, timestamp: 1 },
          { key: 'acc', value: 0.9, step: 1, timestamp: 1 },
          { key: 'lr', value: 0.00001234, step: 1, timestamp: 1 },
          { key: 'zeta', value: 2, step: 1, timestamp: 1 }
        ]
      }
    },
    {
      info: {
        run_id: 'r2',
        experiment_id: '2',
        status: 'FINISHED',
        start_time: 1000,
        end_time: 4000
      },
      data: {}
    }
  ]
};

describe('TracksidePanel', () => {
  let server: FakeServer;
  let model: TracksideModel;
  let runs: RunsModel;
  let panel: TracksidePanel;

  beforeEach(() => {
    server = new FakeServer(
      healthyBackend({ experiments: EXPERIMENTS, runs: RUNS })
    );
    model = new TracksideModel({
      service: new TracksideClient({ serverSettings: server.serverSettings })
    });
    runs = new RunsModel({ connection: model });
    panel = new TracksidePanel({
      runs,
      commands: new CommandRegistry(),
      translator: nullTranslator
    });
  });

  afterEach(() => {
    panel.dispose();
    runs.dispose();
    model.dispose();
  });

  it('is a labelled region that activates its model when shown', () => {
    expect(panel.node.getAttribute('role')).toBe('region');
    expect(panel.node.getAttribute('aria-label')).toBe('Trackside');
    expect(panel.id).toBe('jp-trackside-panel');
    expect(model.isActive).toBe(false);
    expect(preloadChartLibraries).not.toHaveBeenCalled();
    Widget.attach(panel, document.body);
    expect(model.isActive).toBe(true);
    // Shown: the chart libraries load in idle time, before a chart needs them.
    expect(preloadChartLibraries).toHaveBeenCalled();
    panel.hide();
    expect(model.isActive).toBe(false);
  });

  it('has a header with its title and the refresh button', () => {
    Widget.attach(panel, document.body);
    const header = panel.node.querySelector('.jp-Trackside-Header');
    expect(header?.classList).toContain('jp-SidePanel-header');
    expect(header?.querySelector('h2')?.textContent).toBe('Trackside');
    expect(header?.contains(panel.toolbar.node)).toBe(true);
  });

  it('renders status, experiments and runs as text', async () => {
    Widget.attach(panel, document.body);
    await waitFor(
      () => panel.node.querySelectorAll('button[aria-expanded]').length === 2
    );

    const status = panel.node.querySelector('.jp-Trackside-Status');
    expect(status?.textContent).toContain('embedded');
    expect(status?.textContent).toContain('healthy');
    expect(status?.textContent).not.toContain('unhealthy');
    expect(status?.textContent).toContain('http://127.0.0.1:5000');

    const buttons = Array.from(
      panel.node.querySelectorAll<HTMLButtonElement>('button[aria-expanded]')
    );
    expect(buttons.map(b => b.textContent)).toEqual([
      'mnist',
      'old <b>exp</b>'
    ]);
    expect(panel.node.querySelector('b')).toBeNull();
    expect(buttons[0].getAttribute('aria-expanded')).toBe('false');
    expect(buttons[0].title).toBe('mnist');

    // The update time is secondary: relative, absolute in the tooltip, and
    // the description (not the name) of the experiment button.
    const updatedId = buttons[0].getAttribute('aria-describedby');
    expect(updatedId).toBeTruthy();
    const updated = panel.node.querySelector(`[id="${updatedId}"]`);
    expect(updated?.textContent).toBe('5 min ago');
    expect(updated?.getAttribute('title')).toMatch(/^Last updated /);
    expect(buttons[0].contains(updated ?? null)).toBe(false);

    buttons[0].click();
    await waitFor(
      () => panel.node.querySelectorAll('.jp-Trackside-Run').length === 2
    );
    expect(buttons[0].getAttribute('aria-expanded')).toBe('true');
    const table = panel.node.querySelector('table');
    expect(table?.getAttribute('aria-label')).toBe('Runs of mnist');
    const names = Array.from(
      panel.node.querySelectorAll('.jp-Trackside-RunName')
    ).map(cell => cell.textContent);
    expect(names).toEqual(['<img src=x onerror=alert(1)>', 'r2']);
    expect(panel.node.querySelector('img')).toBeNull();
    expect(
      Array.from(table?.querySelectorAll('th[scope="row"]') ?? []).map(
        cell => cell.textContent
      )
    ).toEqual(names);
    // Select, Run, Status, Started, Duration, Metrics.
    expect(table?.querySelectorAll('th[scope="col"]').length).toBe(6);
    const running = panel.node.querySelector(
      '.jp-Trackside-Run.jp-mod-running'
    );
    expect(running?.getAttribute('data-status')).toBe('RUNNING');
    expect(running?.textContent).toContain('Running');
    expect(running?.textContent).toContain('acc=0.9');
    expect(running?.textContent).toContain('loss=0.1235');
    expect(running?.textContent).toContain('lr=1.234e-5');
    const more = running?.querySelector('.jp-Trackside-Metric.jp-mod-more');
    expect(more?.textContent).toBe('+1 more');
    expect(more?.getAttribute('title')).toBe('zeta=2');
    const badge = running?.querySelector('.jp-Trackside-RunStatus');
    expect(badge?.classList).toContain('jp-mod-running');
    expect(
      running
        ?.querySelector('.jp-Trackside-RunStart time')
        ?.getAttribute('title')
    ).toMatch(/^Started /);
    expect(
      running?.querySelector('.jp-Trackside-RunDuration')?.textContent
    ).toMatch(/^1 min \d+ s$/);
    const finished = panel.node.querySelector('[data-run-id="r2"]');
    expect(
      finished?.querySelector('.jp-Trackside-RunDuration')?.textContent
    ).toBe('3 s');
    expect(
      finished?.querySelector('.jp-Trackside-RunStatus')?.classList
    ).toContain('jp-mod-finished');
    expect(
      finished?.querySelector('.jp-Trackside-RunMetrics')?.textContent
    ).toBe('no metrics');
  });

  it('shows an alert with Retry when the backend is unreachable', async () => {
    const healthy = server.handler;
    server.handler = () =>
      json(
        {
          error_code: 'TRACKSIDE_BACKEND_UNAVAILABLE',
          message: 'MLflow is down'
        },
        502
      );
    Widget.attach(panel, document.body);
    await waitFor(() => panel.node.querySelector('[role="alert"]') !== null);
    const alert = panel.node.querySelector('[role="alert"]');
    expect(alert?.textContent).toContain('MLflow is down');
    const status = panel.node.querySelector('.jp-Trackside-Status');
    expect(status?.textContent).toContain('unhealthy');

    server.handler = healthy;
    const retry = Array.from(
      alert?.querySelectorAll<HTMLButtonElement>('button') ?? []
    ).find(b => b.textContent === 'Retry');
    expect(retry).toBeDefined();
    retry?.click();
    await waitFor(() => panel.node.querySelector('[role="alert"]') === null);
    await waitFor(
      () => panel.node.querySelectorAll('button[aria-expanded]').length === 2
    );
  });

  it('gives a run and a comparison their own model, disposed on the way back', async () => {
    Widget.attach(panel, document.body);
    const view = panel.content as TracksideView;
    expect(view.feature).toBeNull();

    model.showRun('2', 'r1');
    const detail = view.feature as RunDetailBody;
    expect(detail).toBeInstanceOf(RunDetailBody);
    expect(detail.model.runId).toBe('r1');
    // The run's experiment is expanded for the way back.
    expect(runs.isExpanded('2')).toBe(true);
    await waitFor(
      () => panel.node.querySelector('.jp-Trackside-DetailBack') !== null
    );
    expect(panel.node.querySelector('.jp-Trackside-ExperimentList')).toBeNull();

    model.showCompare(['r1', 'r2']);
    expect(detail.isDisposed).toBe(true);
    expect(detail.model.isDisposed).toBe(true);
    const compare = view.feature as CompareBody;
    expect(compare).toBeInstanceOf(CompareBody);
    expect(compare.model.runIds).toEqual(['r1', 'r2']);

    model.showList();
    expect(compare.isDisposed).toBe(true);
    expect(compare.model.isDisposed).toBe(true);
    expect(view.feature).toBeNull();
    await waitFor(
      () => panel.node.querySelector('.jp-Trackside-ExperimentList') !== null
    );
  });

  it('shows an empty state without experiments', async () => {
    server.handler = healthyBackend({});
    Widget.attach(panel, document.body);
    await waitFor(
      () => panel.node.querySelector('.jp-Trackside-Empty') !== null
    );
    expect(
      panel.node.querySelector('.jp-Trackside-Empty')?.textContent
    ).toContain('No experiments yet');
  });
});

describe('Format', () => {
  const trans = nullTranslator.load('jupyterlab_trackside');

  it('formats metric values compactly', () => {
    expect(Format.metricValue(0.123456)).toBe('0.1235');
    expect(Format.metricValue(0.125)).toBe('0.125');
    expect(Format.metricValue(42)).toBe('42');
    expect(Format.metricValue(1234.5678)).toBe('1235');
    expect(Format.metricValue(-0.5)).toBe('-0.5');
    expect(Format.metricValue(0)).toBe('0');
    expect(Format.metricValue(15_000_000)).toBe('1.5e7');
    expect(Format.metricValue(0.00001234567)).toBe('1.235e-5');
    expect(Format.metricValue(NaN)).toBe('NaN');
    expect(Format.metricValue(Infinity)).toBe('∞');
    expect(Format.metricValue(-Infinity)).toBe('−∞');
  });

  it('formats relative times', () => {
    const now = Date.UTC(2026, 5, 15, 12);
    const ago = (ms: number) => Format.relativeTime(now - ms, now, trans);
    expect(ago(10_000)).toBe('just now');
    expect(ago(-10_000)).toBe('just now');
    expect(ago(60_000)).toBe('1 min ago');
    expect(ago(12 * 60_000)).toBe('12 min ago');
    expect(ago(3 * 3600_000)).toBe('3 h ago');
    expect(ago(24 * 3600_000)).toBe('1 day ago');
    expect(ago(3 * 24 * 3600_000)).toBe('3 days ago');
    expect(ago(30 * 24 * 3600_000)).toBe(
      Format.shortDateTime(now - 30 * 24 * 3600_000, now)
    );
  });

  it('formats durations', () => {
    expect(Format.duration(300, trans)).toBe('<1 s');
    expect(Format.duration(42_000, trans)).toBe('42 s');
    expect(Format.duration(185_000, trans)).toBe('3 min 5 s');
    expect(Format.duration(2 * 3600_000 + 600_000, trans)).toBe('2 h 10 min');
  });
});
