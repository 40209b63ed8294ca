import { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { corePlugin } from './plugins/core';
import { kernelLifecyclesPlugin } from './plugins/kernelLifecycles';
import { modelFilesPlugin } from './plugins/modelFiles';
import { notebookToolbarPlugin } from './plugins/notebookToolbar';
import { panelPlugin } from './plugins/panel';
import { projectsClientPlugin, projectViewPlugin } from './plugins/projects';
import { registryPlugin } from './plugins/registry';
import { seriesStorePlugin } from './plugins/seriesStore';
import { servedModelsCommandPlugin, servingPlugin } from './plugins/serving';
import { streamPlugin } from './plugins/stream';
import { syncStatusPlugin } from './plugins/syncStatus';

export * from './tokens';

/**
 * The Trackside plugins.
 */
const plugins: JupyterFrontEndPlugin<unknown>[] = [
  corePlugin,
  kernelLifecyclesPlugin,
  modelFilesPlugin,
  panelPlugin,
  projectsClientPlugin,
  projectViewPlugin,
  registryPlugin,
  notebookToolbarPlugin,
  seriesStorePlugin,
  servingPlugin,
  servedModelsCommandPlugin,
  streamPlugin,
  syncStatusPlugin
];

export default plugins;
