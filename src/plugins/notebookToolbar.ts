import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { CommandIDs } from '../commands';
import { ITracksideService } from '../tokens';

/**
 * The notebook toolbar plugin.
 *
 * The "Open Trackside panel" button is declared in this plugin's schema
 * (`schema/notebook-toolbar.json`, `jupyter.lab.toolbars.Notebook`): the
 * notebook extension collects toolbar items from every plugin schema and
 * builds a command button from it, showing the icon, label and caption of
 * the `trackside:open-panel` command (registered by the panel plugin).
 */
export const notebookToolbarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-trackside:notebook-toolbar',
  description: 'Adds the "Open Trackside panel" button to notebook toolbars.',
  autoStart: true,
  requires: [ITracksideService],
  activate: (app: JupyterFrontEnd): void => {
    void app.restored.then(() => {
      if (!app.commands.hasCommand(CommandIDs.openPanel)) {
        console.warn(
          `The Trackside notebook toolbar button needs the command "${CommandIDs.openPanel}"; is the plugin "jupyterlab-trackside:panel" disabled?`
        );
      }
    });
  }
};
