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
  TagsEditor,
  useWrite
} from './editors';
import { RegisteredModelModel } from './registeredModelModel';

/**
 * The versions of a registered model, newest first. With write access each
 * row has a "Manage" toggle opening its alias, tag, description and delete
 * actions below it.
 */
export function VersionsTable(props: {
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
  const columns = 9 + (model.canWrite ? 1 : 0);
  return (
    <div className="jp-Trackside-VersionsScroll">
      <table className="jp-Trackside-VersionsTable">
        <thead>
          <tr>
            <th scope="col">{trans.__('Version')}</th>
            <th scope="col">{trans.__('Aliases')}</th>
            <th scope="col">{trans.__('Status')}</th>
            <th scope="col">{trans.__('Stage')}</th>
            <th scope="col">{trans.__('Source run')}</th>
            <th scope="col">{trans.__('Logged model')}</th>
            <th scope="col">{trans.__('Created')}</th>
            <th scope="col">{trans.__('Tags')}</th>
            <th scope="col">{trans.__('Description')}</th>
            {model.canWrite ? (
              <th scope="col">
                <span className="jp-Trackside-VisuallyHidden">
                  {trans.__('Actions')}
                </span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {versions.map(version => (
            <React.Fragment key={version.version}>
              <VersionRow
                model={model}
                version={version}
                isOpen={open === version.version}
                onToggle={() =>
                  setOpen(open === version.version ? null : version.version)
                }
                trans={trans}
              />
              {model.canWrite && open === version.version ? (
                <tr className="jp-Trackside-VersionActionsRow">
                  <td colSpan={columns}>
                    <VersionActions
                      model={model}
                      version={version}
                      trans={trans}
                    />
                  </td>
                </tr>
              ) : null}
            </React.Fragment>
          ))}
        </tbody>
      </table>
    </div>
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
  return (
    <tr className="jp-Trackside-VersionRow" data-version={version.version}>
      <td>
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
      </td>
      <td>
        <AliasChips
          aliases={version.aliases}
          showVersion={false}
          onDelete={null}
          trans={trans}
        />
      </td>
      <td>{version.status}</td>
      <td className="jp-Trackside-VersionStage">
        {version.current_stage === 'None' ? '' : version.current_stage}
      </td>
      <td>
        {runId ? (
          <>
            <button
              type="button"
              className="jp-Trackside-LinkButton jp-Trackside-VersionRun"
              title={runId}
              disabled={runLink.busy}
              onClick={() => void runLink.run(() => model.showRun(runId))}
            >
              {runId.slice(0, 8)}
            </button>
            <InlineError error={runLink.error} />
          </>
        ) : (
          <span title={version.source}>{version.source}</span>
        )}
      </td>
      <td className="jp-Trackside-VersionModelId">{version.model_id ?? ''}</td>
      <td>
        {version.creation_timestamp !== null
          ? Format.dateTime(version.creation_timestamp)
          : ''}
      </td>
      <td>
        {version.tags.length > 0 ? (
          <ul className="jp-Trackside-Chips">
            {version.tags.map(tag => (
              <li key={tag.key} className="jp-Trackside-Chip">
                <span className="jp-Trackside-ChipText">
                  {tag.value === '' ? tag.key : `${tag.key} = ${tag.value}`}
                </span>
              </li>
            ))}
          </ul>
        ) : null}
      </td>
      <td className="jp-Trackside-VersionDescription">
        {version.description.split('\n', 1)[0]}
      </td>
      {model.canWrite ? (
        <td>
          <button
            type="button"
            className="jp-Button jp-mod-minimal jp-Trackside-VersionManage"
            aria-expanded={isOpen}
            aria-label={trans.__('Manage version %1', version.version)}
            onClick={onToggle}
          >
            {trans.__('Manage')}
          </button>
        </td>
      ) : null}
    </tr>
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
