import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { ISyncStatus } from '../../tokens/syncStatus';

/**
 * The properties of the sync backlog.
 */
export interface ISyncBacklogProps {
  model: ISyncStatus;
  trans: TranslationBundle;
}

/**
 * The points each notebook kernel's journal still has to send to MLflow:
 * "N points waiting to sync · M sent", a progress bar while the backlog
 * drains and the last send error, per kernel with a backlog. The live
 * region stays in the DOM (empty when nothing waits) so that screen readers
 * announce the changes.
 */
export function SyncBacklog(props: ISyncBacklogProps): JSX.Element {
  const { model, trans } = props;
  return (
    <div
      className="jp-Trackside-SyncBacklog"
      role="status"
      aria-live="polite"
      aria-label={trans.__('Sync backlog')}
    >
      <UseSignal signal={model.changed}>
        {() =>
          model.waiting.map(entry => (
            <SyncKernel key={entry.id} entry={entry} trans={trans} />
          ))
        }
      </UseSignal>
    </div>
  );
}

/**
 * The sync status of one kernel.
 */
function SyncKernel(props: {
  entry: ISyncStatus.IEntry;
  trans: TranslationBundle;
}): JSX.Element {
  const { entry, trans } = props;
  const { backlog, sent, draining, lastError } = entry.status;
  const summary = trans._n(
    '%2 point waiting to sync · %3 sent',
    '%2 points waiting to sync · %3 sent',
    backlog,
    backlog.toLocaleString(),
    sent.toLocaleString()
  );
  return (
    <div className="jp-Trackside-SyncKernel">
      <span
        className="jp-Trackside-SyncName jp-text-truncated"
        title={entry.label}
      >
        {entry.label}
      </span>
      <span className="jp-Trackside-SyncSummary">{summary}</span>
      {draining && (
        <progress
          className="jp-Trackside-SyncProgress"
          max={entry.drainTotal}
          value={entry.drainTotal - backlog}
          aria-label={trans.__('Sync progress of %1', entry.label)}
        />
      )}
      {lastError && (
        <span className="jp-Trackside-SyncError">
          {trans.__('Last error: %1', lastError)}
        </span>
      )}
    </div>
  );
}
