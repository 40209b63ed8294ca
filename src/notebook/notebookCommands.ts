import { InputDialog, Notification } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { OutputArea } from '@jupyterlab/outputarea';
import { TranslationBundle } from '@jupyterlab/translation';
import { launchIcon, runIcon } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { DisposableSet, IDisposable } from '@lumino/disposable';
import { CommandIDs } from '../commands';
import { ITracksideService } from '../tokens';
import { logCellCode, OPEN_RUN_CODE, OPEN_RUN_MIMETYPE } from './kernelCode';
import { runSilently } from './kernelRequest';
import { NotebookTracking } from './notebookTracking';

/**
 * Register the notebook commands of Trackside.
 */
export function addNotebookCommands(
  options: INotebookCommandsOptions
): IDisposable {
  const { commands, tracker, service, trans, trackingOf } = options;
  const disposables = new DisposableSet();
  const current = (): NotebookPanel | null => tracker.currentWidget;
  const hasNotebook = (): boolean => current() !== null;

  disposables.add(
    commands.addCommand(CommandIDs.toggleTracking, {
      label: args =>
        args.toolbar ? trans.__('Track') : trans.__('Track This Notebook'),
      caption: trans.__(
        "Track this notebook: log its cells' parameters and metrics to MLflow"
      ),
      isEnabled: hasNotebook,
      isToggleable: true,
      isToggled: () => {
        const panel = current();
        return panel ? (trackingOf(panel)?.isTracked ?? false) : false;
      },
      execute: async () => {
        const panel = current();
        const tracking = panel ? trackingOf(panel) : null;
        if (tracking) {
          await tracking.setTracked(!tracking.isTracked);
        }
      }
    })
  );

  disposables.add(
    commands.addCommand(CommandIDs.chooseExperiment, {
      label: trans.__('Choose MLflow Experiment…'),
      caption: trans.__('Choose the MLflow experiment of this notebook'),
      isEnabled: hasNotebook,
      execute: async () => {
        const panel = current();
        const tracking = panel ? trackingOf(panel) : null;
        if (!tracking) {
          return;
        }
        let names: string[] = [];
        try {
          const page = await service.searchExperiments({
            orderBy: ['last_update_time DESC']
          });
          names = page.experiments.map(experiment => experiment.name);
        } catch (reason) {
          // The list is a convenience: a new name can still be typed.
          console.warn('Trackside could not list the experiments', reason);
        }
        const result = await InputDialog.getItem({
          title: trans.__('MLflow experiment of this notebook'),
          label: trans.__('Pick an experiment or type a new name'),
          items: names,
          current: tracking.experiment ?? undefined,
          editable: true
        });
        const name = result.value?.trim();
        if (result.button.accept && name) {
          await tracking.setExperiment(name);
        }
      }
    })
  );

  disposables.add(
    commands.addCommand(CommandIDs.logCellAsRun, {
      label: trans.__('Log This Cell as an MLflow Run'),
      caption: trans.__('Run the active cell inside a new MLflow run'),
      icon: args => (args.toolbar ? runIcon : undefined),
      isEnabled: () => current()?.content.activeCell instanceof CodeCell,
      execute: async () => {
        const panel = current();
        const cell = panel?.content.activeCell;
        if (!panel || !(cell instanceof CodeCell)) {
          return;
        }
        const code = logCellCode(cell.model.sharedModel.getSource());
        await runSilently(panel.sessionContext, '%load_ext trackside');
        cell.model.sharedModel.transact(() => {
          cell.model.clearExecution();
        }, false);
        const reply = await OutputArea.execute(
          code,
          cell.outputArea,
          panel.sessionContext
        );
        if (reply) {
          cell.model.executionCount = reply.content.execution_count;
        }
      }
    })
  );

  disposables.add(
    commands.addCommand(CommandIDs.openCurrentRun, {
      label: trans.__('Open Current MLflow Run in Trackside'),
      caption: trans.__(
        "Open this kernel's current run in the Trackside panel"
      ),
      icon: args => (args.toolbar ? launchIcon : undefined),
      isEnabled: hasNotebook,
      execute: async () => {
        const panel = current();
        if (!panel) {
          return;
        }
        const answer = await runSilently(
          panel.sessionContext,
          OPEN_RUN_CODE,
          OPEN_RUN_MIMETYPE
        );
        const target = answer?.data[0];
        const runId = target?.run_id;
        const experimentId = target?.experiment_id;
        if (typeof runId === 'string' && typeof experimentId === 'string') {
          await commands.execute(CommandIDs.openPanel, { runId, experimentId });
        } else {
          Notification.info(
            answer?.error
              ? trans.__('Trackside could not ask the kernel: %1', answer.error)
              : trans.__('This kernel has no MLflow run yet.'),
            { autoClose: 5000 }
          );
        }
      }
    })
  );

  return disposables;
}

/**
 * The options of `addNotebookCommands`.
 */
export interface INotebookCommandsOptions {
  commands: CommandRegistry;
  tracker: INotebookTracker;
  service: ITracksideService;
  trans: TranslationBundle;
  /**
   * The tracking state of a notebook panel.
   */
  trackingOf: (panel: NotebookPanel) => NotebookTracking | null;
}
