import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { errorMessage } from '../../services/errorMessage';
import { IModelVersion, ModelCommandIDs } from '../../tokens';
import { DetailSection } from '../../widgets/detailSection';
import { RunDetailModel } from './model';

/**
 * The run's models: its MLflow 3 logged models and the old-style models
 * among its artifacts, each opening the model view, with Register when the
 * user may write to the registry.
 */
export function LoggedModels(props: {
  model: RunDetailModel;
  commands: CommandRegistry | null;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, commands, trans } = props;
  const [error, setError] = React.useState<string | null>(null);
  if (!model.modelFiles) {
    return null;
  }
  const logged = model.loggedModels;
  const artifactModels = model.artifactModels;
  const connection = model.connection;
  const runId = model.runId;
  const canRegister =
    model.canRegister &&
    commands !== null &&
    commands.hasCommand(ModelCommandIDs.register);
  const register = async (args: Record<string, string>) => {
    setError(null);
    try {
      const version = (await commands!.execute(
        ModelCommandIDs.register,
        args
      )) as IModelVersion | null;
      if (version) {
        connection.showModelVersion(version.name, version.version);
      }
    } catch (reason) {
      setError(errorMessage(reason));
    }
  };
  const registerButton = (label: string, args: Record<string, string>) =>
    canRegister ? (
      <button
        type="button"
        className="jp-Button jp-mod-minimal jp-Trackside-RegisterButton"
        aria-label={trans.__('Register %1', label)}
        onClick={() => void register({ ...args, label })}
      >
        {trans.__('Register…')}
      </button>
    ) : null;
  const count =
    logged && artifactModels ? logged.length + artifactModels.length : null;
  return (
    <DetailSection title={trans.__('Logged models')} count={count}>
      {model.loggedModelsError ? (
        <p className="jp-Trackside-DetailError">{model.loggedModelsError}</p>
      ) : null}
      {logged === null && !model.loggedModelsError ? (
        <p className="jp-Trackside-Placeholder">
          {trans.__('Loading models…')}
        </p>
      ) : null}
      {count === 0 ? (
        <p className="jp-Trackside-DetailEmpty">{trans.__('No models.')}</p>
      ) : null}
      {count !== 0 ? (
        <ul
          className="jp-Trackside-RunModels"
          aria-label={trans.__('Logged models')}
        >
          {(logged ?? []).map(m => (
            <li key={m.model_id}>
              <button
                type="button"
                className="jp-Trackside-DetailLink"
                title={m.model_id}
                onClick={() => connection.showLoggedModel(m.model_id, runId)}
              >
                {m.name || m.model_id}
              </button>
              <span className="jp-Trackside-DetailMono jp-Trackside-RunModelId">
                {m.model_id}
              </span>
              {registerButton(m.name || m.model_id, {
                source: `models:/${m.model_id}`,
                modelId: m.model_id,
                runId
              })}
            </li>
          ))}
          {(artifactModels ?? []).map(path => (
            <li key={`artifacts:${path}`}>
              <button
                type="button"
                className="jp-Trackside-DetailLink"
                title={trans.__('Model under the run artifacts at %1', path)}
                onClick={() => connection.showRunArtifactModel(runId, path)}
              >
                {path || trans.__('(artifact root)')}
              </button>
              <span className="jp-Trackside-RunModelId">
                {trans.__('run artifacts')}
              </span>
              {registerButton(path || runId, {
                source: `runs:/${runId}/${path}`,
                runId
              })}
            </li>
          ))}
        </ul>
      ) : null}
      {error ? (
        <p className="jp-Trackside-DetailError" role="alert">
          {error}
        </p>
      ) : null}
    </DetailSection>
  );
}
