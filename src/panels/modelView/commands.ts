import { JupyterFrontEnd } from '@jupyterlab/application';
import type { INotebookTracker } from '@jupyterlab/notebook';
import { NotebookActions } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { IRegistryService, ModelCommandIDs } from '../../tokens';
import { registerModel } from './registerDialog';

/**
 * Add the model view commands: insert a load snippet into the current
 * notebook, and register a model.
 */
export function addModelViewCommands(
  app: JupyterFrontEnd,
  options: {
    tracker: INotebookTracker | null;
    registry: IRegistryService | null;
    trans: TranslationBundle;
  }
): void {
  const { tracker, registry, trans } = options;

  app.commands.addCommand(ModelCommandIDs.insertSnippet, {
    label: trans.__('Insert into Notebook'),
    caption: trans.__(
      'Insert the code as a new cell below the active cell of the current notebook'
    ),
    isEnabled: () => !!tracker?.currentWidget,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const panel = tracker?.currentWidget;
      const code = typeof args.code === 'string' ? args.code : '';
      if (!panel) {
        throw new Error(trans.__('Open a notebook to insert the code into.'));
      }
      const notebook = panel.content;
      NotebookActions.insertBelow(notebook);
      if (notebook.activeCell?.model.type !== 'code') {
        NotebookActions.changeCellType(notebook, 'code');
      }
      notebook.activeCell?.model.sharedModel.setSource(code);
      app.shell.activateById(panel.id);
      return notebook.activeCellIndex;
    }
  });

  app.commands.addCommand(ModelCommandIDs.register, {
    label: trans.__('Register Model…'),
    caption: trans.__(
      'Register the model as a new version of a new or existing registered model'
    ),
    isEnabled: () => registry !== null,
    execute: async (args: ReadonlyPartialJSONObject) => {
      if (!registry) {
        throw new Error(trans.__('The Model Registry is not available.'));
      }
      const text = (key: string) =>
        typeof args[key] === 'string' && args[key] !== ''
          ? (args[key] as string)
          : undefined;
      const source = text('source');
      if (!source) {
        throw new Error(trans.__('No model source to register.'));
      }
      return registerModel(
        registry,
        {
          source,
          runId: text('runId'),
          modelId: text('modelId'),
          label: text('label')
        },
        trans
      );
    }
  });
}
