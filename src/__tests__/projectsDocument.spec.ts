import { Sanitizer } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { nullTranslator } from '@jupyterlab/translation';
import {
  MLPROJECT_FILE_TYPE,
  PROJECT_FACTORY,
  ProjectViewFactory
} from '../panels/projects/document';
import { ProjectView } from '../panels/projects/view';
import { FakeProjectsClient } from './projectsFakeClient';

describe('MLproject file type and project view factory', () => {
  let registry: DocumentRegistry;

  beforeEach(() => {
    registry = new DocumentRegistry();
    registry.addFileType(MLPROJECT_FILE_TYPE);
    registry.addWidgetFactory(
      new ProjectViewFactory({
        factory: {
          name: PROJECT_FACTORY,
          label: PROJECT_FACTORY,
          fileTypes: ['mlproject'],
          defaultFor: ['mlproject'],
          modelName: 'text'
        },
        createView: context =>
          new ProjectView({
            model: {
              client: new FakeProjectsClient(),
              source: context.model,
              path: context.localPath
            },
            translator: nullTranslator,
            sanitizer: new Sanitizer(),
            editAsText: () => undefined
          })
      })
    );
  });

  afterEach(() => registry.dispose());

  it('knows files named exactly MLproject', () => {
    expect(
      registry.getFileTypesForPath('examples/1-MLproject/MLproject')[0]?.name
    ).toBe('mlproject');
    expect(
      registry
        .getFileTypesForPath('notes/MLproject.md')
        .map(fileType => fileType.name)
    ).not.toContain('mlproject');
  });

  it('opens them in the project view by default', () => {
    expect(registry.defaultWidgetFactory('a/MLproject').name).toBe(
      PROJECT_FACTORY
    );
    // Not for other files (no factory at all in this bare registry).
    expect(registry.defaultWidgetFactory('a/train.py')?.name).not.toBe(
      PROJECT_FACTORY
    );
  });
});
