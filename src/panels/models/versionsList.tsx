import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { Format } from '../../models/format';
import { IModelVersion } from '../../tokens';
import { aliasProblem } from './aliasRules';
import {
  AliasChips,
  DescriptionEditor,
  InlineError,
  TagChips,
  TagsEditor,
  useWrite
} from './editors';
import { RegisteredModelModel } from './registeredModelModel';

/**
 * The versions of a registered model, newest first, one compact entry each
 * (the sidebar is too narrow for a ten-column table). With write access each
 * entry has a "Manage" toggle opening its alias, tag, description and delete
 * actions inside it.
 */
export function VersionsList(props: {
  model: RegisteredModelModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const versions = model.versions ?? [];
  const [open, setOpen] = React.useState<string | null>(null);
  if (versions.length === 0) {
    return (
      <p className="jp-Trackside-Placeholder">{trans.__('No versions.')}</p>
    );
  }
  return (
    <ul
      className="jp-Trackside-VersionsList"
      aria-label={trans.__('Versions of %1', model.name)}
    >
      {versions.map(version => (
        <VersionRow
          key={version.version}
          model={model}
          version={version}
          isOpen={open === version.version}
          onToggle={() =>
            setOpen(open === version.version ? null : version.version)
          }
          trans={trans}
        />
      ))}
    </ul>
  );
}

/**
 * Ask for confirmation, then delete a version.
 */
async function confirmDeleteVersion(
  model: RegisteredModelModel,
  version: string,
  trans: TranslationBundle
): Promise<void> {
  const result = await showDialog({
    title: trans.__('Delete model version'),
    body: trans.__(
      'Delete version %1 of %2? This cannot be undone.',
      version,
      model.name
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Delete') })
    ]
  });
  if (result.button.accept) {
    await model.deleteVersion(version);
  }
}

/**
 * One version: every field as text; the version opens its view, the run
 * link opens the run detail.
 */
function VersionRow(props: {
  model: RegisteredModelModel;
  version: IModelVersion;
  isOpen: boolean;
  onToggle: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, version, isOpen, onToggle, trans } = props;
  const runLink = useWrite();
  const runId = version.run_id;
  const stage = version.current_stage === 'None' ? '' : version.current_stage;
  const description = version.description.split('\n', 1)[0];
  return (
    <li className="jp-Trackside-VersionRow" data-version={version.version}>
      <div className="jp-Trackside-ModelRowHead">
        <button
          type="button"
          className="jp-Trackside-LinkButton jp-Trackside-VersionLink"
          aria-label={trans.__(
            'Open version %1 of %2',
            version.version,
            model.name
          )}
          onClick={() => model.showVersion(version.version)}
        >
          {trans.__('Version %1', version.version)}
        </button>
        <AliasChips
          aliases={version.aliases}
          showVersion={false}
          onDelete={null}
          trans={trans}
        />
        <span className="jp-Trackside-VersionStatus">{version.status}</span>
        {stage ? (
          <span
            className="jp-Trackside-VersionStage"
            title={trans.__('Legacy stage (read-only)')}
          >
            {stage}
          </span>
        ) : null}
        {model.canWrite ? (
          <button
            type="button"
            className="jp-Button jp-mod-minimal jp-Trackside-VersionManage"
            aria-expanded={isOpen}
            aria-label={trans.__('Manage version %1', version.version)}
            onClick={onToggle}
          >
            {trans.__('Manage')}
          </button>
        ) : null}
      </div>
      <div className="jp-Trackside-ModelMeta">
        {runId ? (
          <span>
            {trans.__('Run')}{' '}
            <button
              type="button"
              className="jp-Trackside-LinkButton jp-Trackside-VersionRun"
              title={runId}
              disabled={runLink.busy}
              onClick={() => void runLink.run(() => model.showRun(runId))}
            >
              {runId.slice(0, 8)}
            </button>
          </span>
        ) : (
          <span className="jp-Trackside-VersionSource" title={version.source}>
            {version.source}
          </span>
        )}
        {version.model_id ? (
          <span>
            {trans.__('Logged model')}{' '}
            <span className="jp-Trackside-VersionModelId">
              {version.model_id}
            </span>
          </span>
        ) : null}
        {version.creation_timestamp !== null ? (
          <span className="jp-Trackside-ModelLatest">
            {Format.dateTime(version.creation_timestamp)}
          </span>
        ) : null}
      </div>
      <InlineError error={runLink.error} />
      {/* Open, the editors below show the tags and description. */}
      {isOpen ? null : (
        <TagChips
          tags={version.tags}
          label={trans.__('Tags')}
          className="jp-Trackside-VersionTags"
        />
      )}
      {description && !isOpen ? (
        <p className="jp-Trackside-ModelDescription">{description}</p>
      ) : null}
      {model.canWrite && isOpen ? (
        <VersionActions model={model} version={version} trans={trans} />
      ) : null}
    </li>
  );
}

/**
 * The writes on one version: set or move an alias (checked as typed with
 * MLflow's rules), its aliases, tags and description, and delete.
 */
function VersionActions(props: {
  model: RegisteredModelModel;
  version: IModelVersion;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, version, trans } = props;
  const number = version.version;
  const [alias, setAlias] = React.useState('');
  const aliasWrite = useWrite();
  const deleteWrite = useWrite();
  const problem = alias === '' ? null : aliasProblem(alias, trans);
  const elsewhere = model.model?.aliases.find(
    a => a.alias === alias && a.version !== number
  );
  const submitAlias = async () => {
    if (aliasProblem(alias, trans) !== null) {
      return;
    }
    if (await aliasWrite.run(() => model.setAlias(alias, number))) {
      setAlias('');
    }
  };
  return (
    <div
      className="jp-Trackside-VersionActions"
      role="group"
      aria-label={trans.__('Version %1 of %2', number, model.name)}
    >
      <form
        className="jp-Trackside-AliasForm"
        onSubmit={event => {
          event.preventDefault();
          void submitAlias();
        }}
      >
        <input
          className="jp-mod-styled"
          aria-label={trans.__('Alias for version %1', number)}
          aria-invalid={problem !== null}
          placeholder={trans.__('alias, e.g. champion')}
          value={alias}
          disabled={aliasWrite.busy}
          onChange={event => {
            aliasWrite.clear();
            setAlias(event.target.value);
          }}
        />
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept"
          disabled={aliasWrite.busy || alias === '' || problem !== null}
        >
          {elsewhere ? trans.__('Move alias') : trans.__('Set alias')}
        </button>
      </form>
      {problem !== null ? (
        <p className="jp-Trackside-ModelsError" role="alert">
          {problem}
        </p>
      ) : elsewhere ? (
        <p className="jp-Trackside-Placeholder">
          {trans.__(
            '@%1 points at version %2; setting it moves it here.',
            elsewhere.alias,
            elsewhere.version
          )}
        </p>
      ) : null}
      <InlineError error={aliasWrite.error} />
      <AliasChips
        aliases={version.aliases}
        showVersion={false}
        onDelete={name => model.deleteAlias(name)}
        trans={trans}
      />
      <TagsEditor
        tags={version.tags}
        canWrite={true}
        label={trans.__('Tags of version %1', number)}
        onSet={(key, value) => model.setVersionTag(number, key, value)}
        onDelete={key => model.deleteVersionTag(number, key)}
        trans={trans}
      />
      <DescriptionEditor
        description={version.description}
        canWrite={true}
        label={trans.__('Description of version %1', number)}
        onSave={description =>
          model.updateVersionDescription(number, description)
        }
        trans={trans}
      />
      <button
        type="button"
        className="jp-Button jp-mod-styled jp-mod-warn jp-Trackside-DeleteVersion"
        disabled={deleteWrite.busy}
        onClick={() =>
          void deleteWrite.run(() => confirmDeleteVersion(model, number, trans))
        }
      >
        {trans.__('Delete version %1', number)}
      </button>
      <InlineError error={deleteWrite.error} />
    </div>
  );
}
