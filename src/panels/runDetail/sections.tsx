import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { Format } from '../../models/format';
import { IArtifactList, IRunTag } from '../../tokens';
import { formatBytes } from '../../widgets/artifactPreview/view';
import { DetailSection } from '../../widgets/detailSection';

// One byte formatter for the run artifacts and the model files.
export { formatBytes };

/**
 * A two-column table of keys and values.
 */
export function KeyValueTable(props: {
  label: string;
  rows: ReadonlyArray<{ key: string; value: string; title?: string }>;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  return (
    <table className="jp-Trackside-DetailTable" aria-label={props.label}>
      <thead>
        <tr>
          <th scope="col">{trans.__('Key')}</th>
          <th scope="col">{trans.__('Value')}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map(row => (
          <tr key={row.key}>
            <th scope="row" title={row.key}>
              {row.key}
            </th>
            <td title={row.title ?? row.value}>{row.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The tags; MLflow's and Trackside's system tags behind a toggle.
 */
export function Tags(props: {
  tags: ReadonlyArray<IRunTag>;
  name: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { tags, trans } = props;
  const [showSystem, setShowSystem] = React.useState(false);
  const user = tags.filter(tag => !isSystemTag(tag.key));
  const system = tags.filter(tag => isSystemTag(tag.key));
  const shown = showSystem ? [...user, ...system] : user;
  const toggle =
    system.length > 0 ? (
      <button
        type="button"
        className="jp-Button jp-mod-minimal jp-Trackside-DetailToggle"
        aria-pressed={showSystem}
        onClick={() => setShowSystem(!showSystem)}
      >
        {trans._n('Show %1 system tag', 'Show %1 system tags', system.length)}
      </button>
    ) : null;
  return (
    <DetailSection title={trans.__('Tags')} count={user.length} extra={toggle}>
      {shown.length === 0 ? (
        <p className="jp-Trackside-DetailEmpty">{trans.__('No tags.')}</p>
      ) : (
        <KeyValueTable
          label={trans.__('Tags of %1', props.name)}
          rows={[...shown]
            .sort(Format.byKey)
            .map(tag => ({ key: tag.key, value: tag.value }))}
          trans={trans}
        />
      )}
    </DetailSection>
  );
}

/**
 * Whether a tag is set by MLflow or Trackside rather than the user.
 */
export function isSystemTag(key: string): boolean {
  return key.startsWith('mlflow.') || key.startsWith('trackside.');
}

/**
 * The artifacts of the run.
 */
export function Artifacts(props: {
  state: {
    readonly list: IArtifactList | null;
    readonly error: string | null;
  };
  trans: TranslationBundle;
}): JSX.Element {
  const { state, trans } = props;
  if (state.error) {
    return <p className="jp-Trackside-DetailError">{state.error}</p>;
  }
  if (!state.list) {
    return (
      <p className="jp-Trackside-Placeholder">
        {trans.__('Loading artifacts…')}
      </p>
    );
  }
  if (state.list.files.length === 0) {
    return (
      <p className="jp-Trackside-DetailEmpty">{trans.__('No artifacts.')}</p>
    );
  }
  return (
    <ul
      className="jp-Trackside-DetailArtifacts"
      aria-label={trans.__('Artifacts')}
    >
      {state.list.files.map(file => (
        <li key={file.path} title={file.path}>
          <span className="jp-Trackside-DetailArtifactPath">
            {file.is_dir ? `${file.path}/` : file.path}
          </span>
          {!file.is_dir && file.file_size !== null ? (
            <span className="jp-Trackside-DetailArtifactSize">
              {formatBytes(file.file_size)}
            </span>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
