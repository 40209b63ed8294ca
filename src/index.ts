import { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { corePlugin } from './plugins/core';
import { notebookToolbarPlugin } from './plugins/notebookToolbar';
import { panelPlugin } from './plugins/panel';
import { seriesStorePlugin } from './plugins/seriesStore';
import { streamPlugin } from './plugins/stream';

export * from './tokens';

/**
 * The Trackside plugins.
 */
const plugins: JupyterFrontEndPlugin<unknown>[] = [
  corePlugin,
  panelPlugin,
  notebookToolbarPlugin,
  seriesStorePlugin,
  streamPlugin
];

export default plugins;
