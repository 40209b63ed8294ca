import {
  ABCWidgetFactory,
  DocumentRegistry,
  DocumentWidget
} from '@jupyterlab/docregistry';
import { LabIcon } from '@jupyterlab/ui-components';
import mlprojectSvgstr from '../../../style/icons/mlproject.svg';
import { ProjectView } from './view';

/**
 * The icon of MLproject files and of their project view.
 */
export const mlprojectIcon = new LabIcon({
  name: 'jupyterlab-trackside:mlproject',
  svgstr: mlprojectSvgstr
});

/**
 * The file type of MLflow Project files: named exactly `MLproject`, no
 * extension.
 */
export const MLPROJECT_FILE_TYPE: Partial<DocumentRegistry.IFileType> = {
  name: 'mlproject',
  displayName: 'MLflow Project',
  extensions: [],
  pattern: '^MLproject$',
  mimeTypes: ['text/x-yaml'],
  contentType: 'file',
  fileFormat: 'text',
  icon: mlprojectIcon
};

/**
 * The name of the project view's widget factory.
 */
export const PROJECT_FACTORY = 'MLflow Project';

/**
 * The project view of a document, in a document widget.
 */
export type ProjectDocument = DocumentWidget<ProjectView>;

/**
 * Creates the project view of MLproject documents; the view reads the
 * same text model as the editor, so both stay in step.
 */
export class ProjectViewFactory extends ABCWidgetFactory<ProjectDocument> {
  /**
   * Create the factory.
   */
  constructor(options: ProjectViewFactory.IOptions) {
    super(options.factory);
    this._createView = options.createView;
  }

  protected createNewWidget(
    context: DocumentRegistry.IContext<DocumentRegistry.IModel>
  ): ProjectDocument {
    const content = this._createView(context);
    const widget = new DocumentWidget({ content, context });
    widget.title.icon = mlprojectIcon;
    widget.addClass('jp-Trackside-ProjectDocument');
    return widget;
  }

  private _createView: ProjectViewFactory.ViewCreator;
}

/**
 * A namespace for `ProjectViewFactory` statics.
 */
export namespace ProjectViewFactory {
  /**
   * Creates the view of one document.
   */
  export type ViewCreator = (
    context: DocumentRegistry.IContext<DocumentRegistry.IModel>
  ) => ProjectView;

  /**
   * The options to create the factory.
   */
  export interface IOptions {
    factory: DocumentRegistry.IWidgetFactoryOptions<ProjectDocument>;
    createView: ViewCreator;
  }
}
