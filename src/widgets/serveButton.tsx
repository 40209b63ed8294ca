import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { TracksideModel } from '../models/tracksideModel';
import { errorMessage } from '../services/errorMessage';
import { IServingService } from '../tokens';

/**
 * The Serve button of a registered model version: it asks the Jupyter
 * server to serve the version locally, then shows the served models with
 * this one selected. Disabled, saying why, while the request is in flight;
 * hidden when the server's capabilities do not allow serving.
 */
export function ServeButton(props: ServeButton.IProps): JSX.Element {
  const { connection } = props;
  return (
    <UseSignal signal={connection.statusChanged}>
      {() =>
        ServeButton.isAllowed(connection) ? (
          <ServeButtonContent {...props} />
        ) : (
          <></>
        )
      }
    </UseSignal>
  );
}

/**
 * A namespace for `ServeButton` statics.
 */
export namespace ServeButton {
  /**
   * The properties of the button.
   */
  export interface IProps {
    /**
     * The connection: capabilities and navigation.
     */
    connection: TracksideModel;
    service: IServingService;
    /**
     * The registered model name and the version to serve.
     */
    name: string;
    version: string;
    trans: TranslationBundle;
  }

  /**
   * Whether the server says the user may serve models (not before it has
   * said).
   */
  export function isAllowed(connection: TracksideModel): boolean {
    return connection.status?.capabilities?.serving === true;
  }
}

function ServeButtonContent(props: ServeButton.IProps): JSX.Element {
  const { connection, service, name, version, trans } = props;
  const [starting, setStarting] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const mounted = React.useRef(true);
  const reasonId = React.useId();
  React.useEffect(
    () => () => {
      mounted.current = false;
    },
    []
  );

  const serve = async (): Promise<void> => {
    setStarting(true);
    setError(null);
    try {
      const served = await service.start(name, version);
      if (mounted.current) {
        setStarting(false);
      }
      connection.showServing(served.id);
    } catch (reason) {
      if (mounted.current) {
        setStarting(false);
        setError(errorMessage(reason));
      }
    }
  };

  return (
    <span className="jp-Trackside-ServeButton">
      <button
        type="button"
        className="jp-Button jp-mod-styled jp-mod-accept"
        aria-label={trans.__('Serve %1 version %2', name, version)}
        disabled={starting}
        aria-describedby={starting ? reasonId : undefined}
        title={
          starting
            ? trans.__('Starting the server…')
            : trans.__('Serve this version locally with mlflow models serve')
        }
        onClick={() => void serve()}
      >
        {starting ? trans.__('Starting…') : trans.__('Serve')}
      </button>
      {starting ? (
        <span id={reasonId} className="jp-Trackside-ServeReason">
          {trans.__('Starting the server…')}
        </span>
      ) : null}
      {error ? (
        <span className="jp-Trackside-ServingError" role="alert">
          {error}
        </span>
      ) : null}
    </span>
  );
}
