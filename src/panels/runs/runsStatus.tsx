import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { IRun } from '../../tokens';

/**
 * What an experiment's runs look like when there is no table to show: the
 * loading error (beside whatever runs are still shown), "loading" before
 * the first page, or `emptyText` once none came back. Renders nothing more
 * when there are runs: the caller shows them.
 */
export function RunsStatus(props: {
  runs: ReadonlyArray<IRun> | null;
  isLoading: boolean | undefined;
  error: string | null | undefined;
  emptyText: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { runs, isLoading, error, emptyText, trans } = props;
  return (
    <>
      {error && (
        <p className="jp-Trackside-RunsError" role="alert">
          {trans.__('Could not load the runs: %1', error)}
        </p>
      )}
      {runs === null ? (
        isLoading ? (
          <p className="jp-Trackside-Placeholder">
            {trans.__('Loading runs…')}
          </p>
        ) : null
      ) : runs.length === 0 ? (
        <p className="jp-Trackside-Placeholder">{emptyText}</p>
      ) : null}
    </>
  );
}
