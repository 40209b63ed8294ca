import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { BackfillScheduler } from '../stream/backfill';
import { MetricStreamManager } from '../stream/streamManager';
import { untrackSubshellStatuses } from '../stream/subshellStatuses';
import {
  IBackfill,
  IKernelLifecycles,
  ISeriesStore,
  ISyncStatus,
  ITracksideService
} from '../tokens';

/**
 * The stream plugin: feeds the series store from the `trackside.metrics` comm
 * of every notebook kernel, and provides the one backfill scheduler that
 * loads series from the history endpoint (for the stream and the charts).
 */
export const streamPlugin: JupyterFrontEndPlugin<IBackfill> = {
  id: 'jupyterlab-trackside:stream',
  description:
    'Feeds the metric series store from the live kernel stream and provides its backfill from the Arrow history endpoint.',
  autoStart: true,
  requires: [
    INotebookTracker,
    IKernelLifecycles,
    ISeriesStore,
    ITracksideService
  ],
  optional: [ISyncStatus],
  provides: IBackfill,
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    lifecycles: IKernelLifecycles,
    store: ISeriesStore,
    service: ITracksideService,
    sync: ISyncStatus | null
  ): IBackfill => {
    // The stream's comm must not make the status bar say "Idle" mid-cell.
    untrackSubshellStatuses();
    // Both live as long as the application (plugins are never deactivated).
    const backfill = new BackfillScheduler({ store, client: service });
    new MetricStreamManager({ tracker, lifecycles, store, backfill, sync });
    return backfill;
  }
};
