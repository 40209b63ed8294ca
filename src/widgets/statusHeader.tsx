import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { TracksideModel } from '../models/tracksideModel';
import { IBackendStatus } from '../tokens';
import { Format } from '../models/format';

/**
 * The properties of the status header.
 */
export interface IStatusHeaderProps {
  status: IBackendStatus | null;
  error: TracksideModel.IError | null;
  trans: TranslationBundle;
}

/**
 * The backend status header: health, mode, tracking URI, MLflow version and
 * the state text.
 */
export function StatusHeader(props: IStatusHeaderProps): JSX.Element {
  const { status, error, trans } = props;

  if (status === null && error === null) {
    return (
      <div className="jp-Trackside-Status" role="status">
        <span className="jp-Trackside-StatusState">
          {trans.__('Connecting to the Trackside backend…')}
        </span>
      </div>
    );
  }

  const unreachable = error !== null && error.kind === 'unreachable';
  const healthy = status !== null && status.healthy && !unreachable;
  const stateText = unreachable
    ? error.message
    : status
      ? Format.backendState(status, trans)
      : '';

  return (
    <div
      className="jp-Trackside-Status"
      role="status"
      data-healthy={healthy ? 'true' : 'false'}
    >
      <div className="jp-Trackside-StatusLine">
        <span
          className={`jp-Trackside-StatusHealth ${
            healthy ? 'jp-mod-healthy' : 'jp-mod-unhealthy'
          }`}
        >
          {healthy ? trans.__('healthy') : trans.__('unhealthy')}
        </span>
        {status && (
          <span
            className="jp-Trackside-StatusMode"
            title={trans.__('Tracking backend mode')}
          >
            {status.mode}
          </span>
        )}
        {status?.mlflow_version && (
          <span className="jp-Trackside-StatusVersion">
            {trans.__('MLflow %1', status.mlflow_version)}
          </span>
        )}
      </div>
      {status?.tracking_uri && (
        <div className="jp-Trackside-StatusUri" title={status.tracking_uri}>
          {status.tracking_uri}
        </div>
      )}
      {stateText && <div className="jp-Trackside-StatusState">{stateText}</div>}
    </div>
  );
}
