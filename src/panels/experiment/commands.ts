import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { WidgetTracker } from '@jupyterlab/apputils';
import { ITranslator } from '@jupyterlab/translation';
import { DisposableDelegate, DisposableSet } from '@lumino/disposable';
import { CommandIDs } from '../../commands';
import { tracksideIcon } from '../../icons';
import { TracksideModel } from '../../models/tracksideModel';
import { IChartServices } from '../../widgets/metricChartGrid';
import { RunsModel } from '../runs/model';
import { ExperimentModel } from './model';
import { ExperimentPanel } from './panel';

/**
 * The command ids of the experiment view.
 */
export namespace ExperimentCommandIDs {
  /**
   * Open an experiment in the main area, as the full-width experiment view
   * (args: `experimentId`).
   */
  export const openExperimentView = 'trackside:open-experiment-view';
}

/**
 * Register the command that opens the experiment view, answer the
 * sidebar's "open in the main area" intents with it, and restore the open
 * views with the layout.
 *
 * @returns A disposable removing the command and the intent connection.
 */
export function addExperimentViewCommands(
  app: JupyterFrontEnd,
  options: IExperimentViewOptions
): DisposableSet {
  const { runs, translator, restorer } = options;
  const trans = translator.load('jupyterlab_trackside');
  const disposables = new DisposableSet();
  const tracker = new WidgetTracker<ExperimentPanel>({
    namespace: 'trackside-experiment'
  });
  disposables.add(tracker);
  const services: IChartServices = {
    store: options.store,
    backfill: options.backfill,
    shell: app.shell,
    themeManager: options.themeManager,
    translator
  };

  disposables.add(
    app.commands.addCommand(ExperimentCommandIDs.openExperimentView, {
      label: trans.__('Open Experiment in Main Area'),
      caption: trans.__(
        'Open the runs of an experiment and the charts of the selected runs full width in the main area'
      ),
      icon: tracksideIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            experimentId: {
              type: 'string',
              description: trans.__('The experiment to open')
            }
          },
          required: ['experimentId']
        }
      },
      isEnabled: args => typeof args.experimentId === 'string',
      execute: args => {
        const experimentId = args.experimentId;
        if (typeof experimentId !== 'string') {
          return;
        }
        const open = tracker.find(w => w.experimentId === experimentId);
        if (open) {
          app.shell.activateById(open.id);
          return open;
        }
        const panel = new ExperimentPanel({
          model: new ExperimentModel({
            experimentId,
            runs,
            store: options.store,
            backfill: options.backfill
          }),
          services,
          translator,
          revealRun: () => void app.commands.execute(CommandIDs.openPanel)
        });
        void tracker.add(panel);
        app.shell.add(panel, 'main');
        app.shell.activateById(panel.id);
        return panel;
      }
    })
  );

  const onRequested = (_: TracksideModel, experimentId: string): void => {
    void app.commands.execute(ExperimentCommandIDs.openExperimentView, {
      experimentId
    });
  };
  runs.connection.experimentRequested.connect(onRequested);
  disposables.add(
    new DisposableDelegate(() =>
      runs.connection.experimentRequested.disconnect(onRequested)
    )
  );

  if (restorer) {
    void restorer.restore(tracker, {
      command: ExperimentCommandIDs.openExperimentView,
      args: panel => ({ experimentId: panel.experimentId }),
      name: panel => panel.experimentId
    });
  }
  return disposables;
}

/**
 * What the experiment views need.
 */
export interface IExperimentViewOptions {
  /**
   * The runs model of the panel: the shared selection, the connection and
   * the settings.
   */
  runs: RunsModel;
  translator: ITranslator;
  store: IChartServices['store'];
  backfill: IChartServices['backfill'];
  themeManager: IChartServices['themeManager'];
  restorer?: ILayoutRestorer | null;
}
