import { JupyterFrontEnd } from '@jupyterlab/application';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import { tracksideIcon } from '../icons';
import { SeriesStore } from '../models/seriesStore';
import { TracksideModel } from '../models/tracksideModel';
import {
  addExperimentViewCommands,
  ExperimentCommandIDs
} from '../panels/experiment/commands';
import { CompareBody } from '../panels/compare/body';
import { CompareModel } from '../panels/compare/model';
import { ExperimentModel } from '../panels/experiment/model';
import { ExperimentPanel } from '../panels/experiment/panel';
import { RunsModel } from '../panels/runs/model';
import { TracksidePanel } from '../panels/sidebar/panel';
import { TracksideClient } from '../services/client';
import {
  FakeServer,
  healthyBackend,
  IRecordedRequest,
  json,
  waitFor
} from './fakeServer';

/**
 * A stand-in for Plotly (jsdom has no SVG layout).
 */
const mockPlotly = {
  react: jest.fn(async (node: HTMLElement) => node),
  newPlot: jest.fn(),
  purge: jest.fn(),
  toImage: jest.fn(),
  Plots: { resize: jest.fn() }
};

jest.mock('../charts/plotly', () => {
  const actual = jest.requireActual('../charts/plotly');
  return { ...actual, loadPlotly: jest.fn(async () => mockPlotly) };
});

const LONG_A = 'gradient-boosting-with-a-very-long-descriptive-run-name-alpha';
const LONG_B = 'gradient-boosting-with-a-very-long-descriptive-run-name-beta';

function run(id: string, name: string, metrics: Record<string, number>) {
  return {
    info: {
      run_id: id,
      run_name: name,
      experiment_id: '1',
      status: 'FINISHED',
      start_time: id === 'a' ? 2 : 1
    },
    data: {
      metrics: Object.entries(metrics).map(([key, value]) => ({
        key,
        value,
        step: 0,
        timestamp: 0
      }))
    }
  };
}

const RUNS = [
  run('a', LONG_A, { rmse: 0.5, acc: 0.7 }),
  run('b', LONG_B, { rmse: 0.2, loss: 1 })
];

const SEARCHES = healthyBackend({
  experiments: [{ experiment_id: '1', name: 'iris', last_update_time: 1 }],
  runs: { '1': RUNS }
});

/**
 * The backend: the searches, and `runs/get` for the comparison.
 */
function BACKEND(request: IRecordedRequest): Response | Promise<Response> {
  if (request.endpoint.startsWith('mlflow/runs/get')) {
    const found = RUNS.find(r => r.info.run_id === request.query.run_id);
    return json({ run: found });
  }
  return SEARCHES(request);
}

const POINTS = { steps: [0, 1, 2], timestamps: [0, 1, 2], values: [3, 2, 1] };

describe('ExperimentPanel', () => {
  let server: FakeServer;
  let runs: RunsModel;
  let store: SeriesStore;
  let panel: ExperimentPanel;

  beforeEach(async () => {
    server = new FakeServer(BACKEND);
    runs = new RunsModel({
      connection: new TracksideModel({
        service: new TracksideClient({ serverSettings: server.serverSettings })
      })
    });
    runs.connection.isActive = true;
    await waitFor(() => runs.experiments !== null);
    store = new SeriesStore();
    panel = new ExperimentPanel({
      model: new ExperimentModel({ experimentId: '1', runs, store }),
      services: { translator: nullTranslator },
      translator: nullTranslator
    });
    Widget.attach(panel, document.body);
    await waitFor(() => panel.node.querySelector('[role="table"]') !== null);
  });

  afterEach(() => {
    panel.dispose();
    runs.dispose();
    runs.connection.dispose();
    store.dispose();
  });

  const chartHosts = () =>
    panel.node.querySelectorAll(
      '.jp-Trackside-ChartHost, .jp-Trackside-BarChartHost'
    );
  const chartNames = () =>
    Array.from(chartHosts())
      .map(host => host.textContent)
      .sort();
  const select = (name: string) =>
    panel.node
      .querySelector<HTMLInputElement>(
        `input[aria-label="Select ${name} for comparison"]`
      )!
      .click();

  it('is a region named and titled after the experiment', () => {
    const region = panel.content.node;
    expect(region.getAttribute('role')).toBe('region');
    expect(region.getAttribute('aria-label')).toBe('Experiment iris');
    expect(panel.title.label).toBe('iris');
    expect(panel.title.icon).toBe(tracksideIcon);
    expect(panel.title.closable).toBe(true);
    expect(panel.id).toBe(ExperimentPanel.id('1'));
  });

  it('renders the runs table full width with whole run names', () => {
    const table = panel.node.querySelector('[role="table"]')!;
    expect(table.getAttribute('aria-label')).toBe('Runs of iris');
    expect(table.closest('.jp-Trackside-ExperimentTable')?.parentElement).toBe(
      panel.content.node
    );
    const names = Array.from(
      table.querySelectorAll('.jp-Trackside-RunLink')
    ).map(link => link.textContent);
    expect(names).toEqual([LONG_A, LONG_B]);
    expect(chartHosts()).toHaveLength(0);
    expect(panel.node.textContent).toContain(
      'Select runs in the table to chart their metrics.'
    );
  });

  it('draws one chart per metric key of the selected runs, live', async () => {
    store.append('a', 'rmse', POINTS);
    select(LONG_A);
    select(LONG_B);
    // rmse is a curve (several points); acc and loss single values (bars).
    const curves = () =>
      panel.node.querySelectorAll('.jp-Trackside-ChartHost').length;
    await waitFor(() => chartHosts().length === 3 && curves() === 1);
    expect(runs.selection.ids).toEqual(['a', 'b']);
    // One chart per key (each created when scrolled into view).
    expect(chartNames()).toEqual([
      'Chart of acc',
      'Chart of loss',
      'Chart of rmse'
    ]);
    expect(panel.node.textContent).toContain(
      'Charts of 2 selected runs (3 metric keys)'
    );

    // A key that a selected run starts streaming gets its chart.
    store.append('b', 'val_loss', POINTS);
    await waitFor(() => chartHosts().length === 4);
    expect(chartNames()).toContain('Chart of val_loss');

    // The selection is the sidebar's: deselecting there removes charts.
    runs.selection.set('b', false);
    await waitFor(() => chartHosts().length === 2);
  });

  it('reveals the sidebar for a run opened from its table', async () => {
    const revealRun = jest.fn();
    const other = new ExperimentPanel({
      model: new ExperimentModel({ experimentId: '1', runs, store }),
      services: null,
      translator: nullTranslator,
      revealRun
    });
    Widget.attach(other, document.body);
    try {
      await waitFor(() => other.node.querySelector('[role="table"]') !== null);
      const link = Array.from(
        other.node.querySelectorAll<HTMLButtonElement>('.jp-Trackside-RunLink')
      ).find(node => node.textContent === LONG_B)!;
      link.focus();
      link.click();
      expect(runs.connection.view).toEqual({
        kind: 'run',
        experimentId: '1',
        runId: 'b'
      });
      expect(revealRun).toHaveBeenCalledTimes(1);
      // Navigation from elsewhere (the focus is not in the view) does not.
      link.blur();
      runs.connection.showRun('1', 'a');
      expect(revealRun).toHaveBeenCalledTimes(1);
    } finally {
      other.dispose();
    }
  });

  it('disposes its model with it', () => {
    const model = panel.content.model;
    panel.dispose();
    expect(model.isDisposed).toBe(true);
  });
});

describe('trackside:open-experiment-view', () => {
  let server: FakeServer;
  let runs: RunsModel;
  let commands: CommandRegistry;
  let added: Widget[];
  let sidebar: TracksidePanel;

  beforeEach(async () => {
    server = new FakeServer(BACKEND);
    runs = new RunsModel({
      connection: new TracksideModel({
        service: new TracksideClient({ serverSettings: server.serverSettings })
      })
    });
    commands = new CommandRegistry();
    added = [];
    const shell = {
      add: (widget: Widget) => {
        added.push(widget);
        Widget.attach(widget, document.body);
      },
      activateById: jest.fn()
    };
    addExperimentViewCommands(
      { commands, shell } as unknown as JupyterFrontEnd,
      {
        runs,
        translator: nullTranslator,
        store: null,
        backfill: null,
        themeManager: null
      }
    );
    sidebar = new TracksidePanel({
      runs,
      commands,
      translator: nullTranslator
    });
    Widget.attach(sidebar, document.body);
    await waitFor(
      () => sidebar.node.querySelector('.jp-Trackside-OpenExperiment') !== null
    );
  });

  afterEach(() => {
    added.forEach(widget => widget.dispose());
    sidebar.dispose();
    runs.dispose();
    runs.connection.dispose();
  });

  it('is described, and enabled with an experiment id only', () => {
    const id = ExperimentCommandIDs.openExperimentView;
    expect(commands.label(id)).toBe('Open Experiment in Main Area');
    expect(commands.caption(id)).not.toBe('');
    expect(commands.isEnabled(id, {})).toBe(false);
    expect(commands.isEnabled(id, { experimentId: '1' })).toBe(true);
  });

  it('opens from the sidebar button, once per experiment', async () => {
    const button = sidebar.node.querySelector<HTMLButtonElement>(
      'button[aria-label="Open iris in the main area"]'
    )!;
    expect(button).not.toBeNull();
    button.click();
    await waitFor(() => added.length === 1);
    const view = added[0] as ExperimentPanel;
    expect(view).toBeInstanceOf(ExperimentPanel);
    expect(view.experimentId).toBe('1');
    await waitFor(() => view.node.querySelector('[role="table"]') !== null);

    // Again: the open view is activated, not a second one created.
    button.click();
    await commands.execute(ExperimentCommandIDs.openExperimentView, {
      experimentId: '1'
    });
    expect(added).toHaveLength(1);
    // The sidebar stays the compact view: it still shows the list.
    expect(runs.connection.view.kind).toBe('list');
  });

  it('opens from the header of a comparison', async () => {
    await waitFor(() => runs.experiments !== null);
    const compare = new CompareBody({
      model: new CompareModel({
        connection: runs.connection,
        runIds: ['a', 'b'],
        experiments: () => runs.experiments
      }),
      services: null,
      translator: nullTranslator
    });
    Widget.attach(compare, document.body);
    try {
      await waitFor(
        () =>
          compare.node.querySelector(
            '.jp-Trackside-CompareHeader button[aria-label="Open iris in the main area"]'
          ) !== null
      );
      // Both runs are of one experiment: one button.
      expect(
        compare.node.querySelectorAll('.jp-Trackside-OpenExperiment')
      ).toHaveLength(1);
      compare.node
        .querySelector<HTMLButtonElement>('.jp-Trackside-OpenExperiment')!
        .click();
      await waitFor(() => added.length === 1);
      expect((added[0] as ExperimentPanel).experimentId).toBe('1');
    } finally {
      compare.dispose();
    }
  });
});
