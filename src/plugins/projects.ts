import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { showErrorMessage } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator } from '@jupyterlab/translation';
import { CommandIDs } from '../commands';
import {
  MLPROJECT_FILE_TYPE,
  PROJECT_FACTORY,
  ProjectViewFactory
} from '../panels/projects/document';
import { ProjectView } from '../panels/projects/view';
import { ProjectsClient } from '../services/projectsClient';
import { IProjectsClient, ITracksideService } from '../tokens';

/**
 * The projects client plugin: the client of the Jupyter server's MLflow
 * Projects endpoints.
 */
export const projectsClientPlugin: JupyterFrontEndPlugin<IProjectsClient> = {
  id: 'jupyterlab-trackside:projects-client',
  description: 'Provides the client that runs MLflow Projects.',
  autoStart: true,
  provides: IProjectsClient,
  activate: (app: JupyterFrontEnd): IProjectsClient =>
    new ProjectsClient({ serverSettings: app.serviceManager.serverSettings })
};

/**
 * The project view plugin: files named `MLproject` open (double click) in
 * the "MLflow Project" view; Open With → Editor still edits them as text.
 */
export const projectViewPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-trackside:project-view',
  description: 'Opens MLproject files in a view that runs their entry points.',
  autoStart: true,
  requires: [
    IProjectsClient,
    IDocumentManager,
    IRenderMimeRegistry,
    ITranslator
  ],
  optional: [ITracksideService],
  activate: (
    app: JupyterFrontEnd,
    client: IProjectsClient,
    docManager: IDocumentManager,
    rendermime: IRenderMimeRegistry,
    translator: ITranslator,
    service: ITracksideService | null
  ): void => {
    const trans = translator.load('jupyterlab_trackside');
    app.docRegistry.addFileType({
      ...MLPROJECT_FILE_TYPE,
      displayName: trans.__('MLflow Project')
    });
    const editAsText = async (path: string, line: number | null) => {
      const widget = docManager.openOrReveal(path, 'Editor');
      if (!widget || line === null) {
        return;
      }
      await widget.context.ready;
      Private.goToLine(widget.content, line);
    };
    const openRun = service
      ? async (runId: string) => {
          const run = await service.getRun(runId);
          await app.commands.execute(CommandIDs.openPanel, {
            experimentId: run.info.experiment_id,
            runId
          });
        }
      : undefined;
    const listExperiments = service
      ? async () =>
          (
            await service.searchExperiments({ maxResults: 500 })
          ).experiments.map(experiment => experiment.name)
      : undefined;
    const factory = new ProjectViewFactory({
      factory: {
        name: PROJECT_FACTORY,
        label: trans.__('MLflow Project'),
        fileTypes: [MLPROJECT_FILE_TYPE.name!],
        defaultFor: [MLPROJECT_FILE_TYPE.name!],
        modelName: 'text',
        translator
      },
      createView: (
        context: DocumentRegistry.IContext<DocumentRegistry.IModel>
      ) =>
        new ProjectView({
          model: {
            client,
            source: context.model,
            path: context.localPath,
            prepare: async () => {
              if (context.model.dirty) {
                await context.save();
              }
            },
            listExperiments
          },
          translator,
          sanitizer: rendermime.sanitizer,
          editAsText: line => void editAsText(context.path, line),
          openRun: openRun
            ? runId =>
                void openRun(runId).catch(reason =>
                  showErrorMessage(trans.__('Cannot open the run'), reason)
                )
            : undefined
        })
    });
    app.docRegistry.addWidgetFactory(factory);
  }
};

namespace Private {
  /**
   * The parts of a file editor used to go to a line.
   */
  interface ILineEditor {
    editor: {
      setCursorPosition(position: { line: number; column: number }): void;
      revealPosition(position: { line: number; column: number }): void;
      focus(): void;
    };
  }

  /**
   * Put the editor's cursor at a 1-based line, in view, focused.
   */
  export function goToLine(content: unknown, line: number): void {
    const editor = (content as Partial<ILineEditor>).editor;
    if (!editor || typeof editor.setCursorPosition !== 'function') {
      return;
    }
    const position = { line: Math.max(0, line - 1), column: 0 };
    editor.setCursorPosition(position);
    editor.revealPosition(position);
    editor.focus();
  }
}
