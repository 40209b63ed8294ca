import { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { corePlugin } from './plugins/core';
import { notebookToolbarPlugin } from './plugins/notebookToolbar';
import { panelPlugin } from './plugins/panel';

export * from './tokens';

/**
 * The Trackside plugins.
 */
const plugins: JupyterFrontEndPlugin<unknown>[] = [
  corePlugin,
  panelPlugin,
  notebookToolbarPlugin
];

export default plugins;
