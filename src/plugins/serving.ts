import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator } from '@jupyterlab/translation';
import { CommandToolbarButton, runIcon } from '@jupyterlab/ui-components';
import { TracksidePanel } from '../panels/sidebar/panel';
import { ServingClient } from '../services/servingClient';
import { IServingService } from '../tokens';

/**
 * The command that shows the served models in the Trackside panel.
 */
export const SHOW_SERVED_MODELS = 'trackside:show-served-models';

/**
 * The serving plugin: the client of the Jupyter server's serving endpoints
 * (models served locally with `mlflow models serve`).
 */
export const servingPlugin: JupyterFrontEndPlugin<IServingService> = {
  id: 'jupyterlab-trackside:serving',
  description: 'Provides the client that serves model versions locally.',
  autoStart: true,
  provides: IServingService,
  activate: (app: JupyterFrontEnd): IServingService =>
    new ServingClient({ serverSettings: app.serviceManager.serverSettings })
};

/**
 * The served models command, in the palette and as a button of the
 * Trackside panel's toolbar (shown once the server says the user may
 * serve models).
 */
export const servedModelsCommandPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-trackside:served-models-command',
  description: 'Adds the command and toolbar button showing the served models.',
  autoStart: true,
  requires: [IServingService, ITranslator],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    _: IServingService,
    translator: ITranslator,
    palette: ICommandPalette | null
  ): void => {
    const trans = translator.load('jupyterlab_trackside');
    const findPanel = (): TracksidePanel | null => {
      for (const widget of app.shell.widgets('right')) {
        if (widget instanceof TracksidePanel) {
          return widget;
        }
      }
      return null;
    };
    app.commands.addCommand(SHOW_SERVED_MODELS, {
      label: trans.__('Show Served Models'),
      caption: trans.__('Show the models served locally and predict with them'),
      icon: runIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            servedId: {
              type: 'string',
              description: trans.__('The served model to select')
            }
          }
        }
      },
      isVisible: () =>
        findPanel()?.model.status?.capabilities?.serving === true,
      execute: args => {
        const panel = findPanel();
        if (!panel) {
          return;
        }
        app.shell.activateById(panel.id);
        const { servedId } = args;
        panel.model.showServing(
          typeof servedId === 'string' ? servedId : undefined
        );
      }
    });
    if (palette) {
      palette.addItem({
        command: SHOW_SERVED_MODELS,
        category: trans.__('Trackside')
      });
    }
    // The panel is added by its own plugin; its toolbar gets the button
    // once the shell is restored.
    void app.restored.then(() => {
      const panel = findPanel();
      if (!panel) {
        return;
      }
      panel.toolbar.addItem(
        'served-models',
        new CommandToolbarButton({
          commands: app.commands,
          id: SHOW_SERVED_MODELS,
          icon: runIcon,
          label: ''
        })
      );
      panel.model.statusChanged.connect(() =>
        app.commands.notifyCommandChanged(SHOW_SERVED_MODELS)
      );
    });
  }
};
