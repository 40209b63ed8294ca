import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { TracksideModel } from '../models/tracksideModel';
import { TracksideClient } from '../services/client';
import { RunsModel } from '../panels/runs/model';
import { TracksideView } from '../panels/sidebar/view';
import { FakeServer, healthyBackend, waitFor } from './fakeServer';

jest.mock('../charts/preload', () => ({ preloadChartLibraries: jest.fn() }));

describe('TracksideModel navigation to models', () => {
  const service = {} as unknown as TracksideClient;

  it('shows the models views with their arguments', () => {
    const connection = new TracksideModel({ service });
    const views: TracksideModel.View[] = [];
    connection.viewChanged.connect((_, view) => views.push(view));
    connection.showModels();
    connection.showModels();
    connection.showRegisteredModel('iris');
    connection.showModelVersion('iris', '2');
    connection.showLoggedModel('m-1');
    connection.showLoggedModel('m-1', 'r1');
    connection.showRunArtifactModel('r1', 'model');
    connection.showServing();
    connection.showServing('s1');
    expect(views).toEqual([
      { kind: 'models' },
      { kind: 'registeredModel', name: 'iris' },
      { kind: 'modelVersion', name: 'iris', version: '2' },
      { kind: 'loggedModel', modelId: 'm-1' },
      { kind: 'loggedModel', modelId: 'm-1', runId: 'r1' },
      { kind: 'runArtifactModel', runId: 'r1', path: 'model' },
      { kind: 'serving' },
      { kind: 'serving', servedId: 's1' }
    ]);
    connection.dispose();
  });

  it('puts every view in the runs or the models section', () => {
    const section = TracksideModel.sectionOf;
    expect(section({ kind: 'list' })).toBe('runs');
    expect(section({ kind: 'run', experimentId: '1', runId: 'r' })).toBe(
      'runs'
    );
    expect(section({ kind: 'compare', runIds: [] })).toBe('runs');
    expect(section({ kind: 'models' })).toBe('models');
    expect(section({ kind: 'registeredModel', name: 'x' })).toBe('models');
    expect(section({ kind: 'modelVersion', name: 'x', version: '1' })).toBe(
      'models'
    );
    expect(section({ kind: 'loggedModel', modelId: 'm' })).toBe('models');
    expect(section({ kind: 'runArtifactModel', runId: 'r', path: 'm' })).toBe(
      'models'
    );
    expect(section({ kind: 'serving' })).toBe('models');
  });
});

describe('The Runs | Models switch', () => {
  let server: FakeServer;
  let connection: TracksideModel;
  let runs: RunsModel;
  let view: TracksideView;

  beforeEach(() => {
    server = new FakeServer(healthyBackend({ experiments: [], runs: {} }));
    connection = new TracksideModel({
      service: new TracksideClient({ serverSettings: server.serverSettings })
    });
    runs = new RunsModel({ connection });
    view = new TracksideView({ runs, translator: nullTranslator });
    Widget.attach(view, document.body);
  });

  afterEach(() => {
    view.dispose();
    runs.dispose();
    connection.dispose();
  });

  function buttons(): HTMLButtonElement[] {
    return [
      ...view.node.querySelectorAll<HTMLButtonElement>(
        '.jp-Trackside-SectionSwitch button'
      )
    ];
  }

  it('presses the section of the current view; each is one click away', async () => {
    await waitFor(() => buttons().length === 2);
    const [runsButton, modelsButton] = buttons();
    expect(runsButton.textContent).toBe('Runs');
    expect(modelsButton.textContent).toBe('Models');
    expect(runsButton.getAttribute('aria-pressed')).toBe('true');
    expect(modelsButton.getAttribute('aria-pressed')).toBe('false');

    modelsButton.click();
    expect(connection.view).toEqual({ kind: 'models' });
    await waitFor(() => modelsButton.getAttribute('aria-pressed') === 'true');
    expect(runsButton.getAttribute('aria-pressed')).toBe('false');

    // From a registered model, Models goes back to the list of models.
    connection.showRegisteredModel('iris');
    expect(modelsButton.getAttribute('aria-pressed')).toBe('true');
    modelsButton.click();
    expect(connection.view).toEqual({ kind: 'models' });

    // From a run, Models is one click; from the models, Runs is one click.
    connection.showRun('1', 'r1');
    await waitFor(() => runsButton.getAttribute('aria-pressed') === 'true');
    modelsButton.click();
    expect(connection.view).toEqual({ kind: 'models' });
    runsButton.click();
    expect(connection.view).toEqual({ kind: 'list' });
  });
});
