import { Clipboard } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { IProjectParameter, IProjectSpec } from '../../tokens';
import { ProjectModel } from './model';
import { inputAttributes } from './paramRules';

/**
 * The run form of a valid MLproject: one tab per entry point, its
 * parameters as typed fields with their inline messages, the experiment,
 * the environment manager, the exact command, and Run (disabled while a
 * value is invalid).
 */
export function RunForm(props: {
  model: ProjectModel;
  spec: IProjectSpec;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, spec, trans } = props;
  const entry = model.entryPoint;
  const errors = model.errors;
  const values = model.values;
  const formId = React.useId();
  return (
    <form
      className="jp-Trackside-ProjectForm"
      aria-label={trans.__('Run %1', spec.name)}
      onSubmit={event => {
        event.preventDefault();
        void model.run();
      }}
    >
      <div
        className="jp-Trackside-ProjectTabs"
        role="tablist"
        aria-label={trans.__('Entry points')}
      >
        {spec.entry_points.map(point => (
          <button
            key={point.name}
            type="button"
            role="tab"
            className="jp-Trackside-ProjectTab"
            aria-selected={point.name === entry?.name}
            onClick={() => model.selectEntryPoint(point.name)}
          >
            {point.name}
          </button>
        ))}
      </div>
      {entry ? (
        <div
          role="tabpanel"
          className="jp-Trackside-ProjectEntry"
          aria-label={trans.__('Entry point %1', entry.name)}
        >
          <code className="jp-Trackside-ProjectEntryCommand">
            {entry.command}
          </code>
          {entry.parameters.length === 0 ? (
            <p className="jp-Trackside-Placeholder">
              {trans.__('This entry point takes no parameters.')}
            </p>
          ) : (
            <fieldset className="jp-Trackside-ProjectParams">
              <legend>{trans.__('Parameters')}</legend>
              {entry.parameters.map(parameter => (
                <ParameterField
                  key={`${entry.name}.${parameter.name}`}
                  id={`${formId}-${parameter.name}`}
                  parameter={parameter}
                  value={values[parameter.name] ?? ''}
                  error={errors[parameter.name] ?? null}
                  onChange={value => model.setValue(parameter.name, value)}
                  trans={trans}
                />
              ))}
            </fieldset>
          )}
        </div>
      ) : null}
      <RunSettings model={model} formId={formId} trans={trans} />
      <CommandPreview command={model.command} trans={trans} />
      {model.runError ? (
        <p className="jp-Trackside-ProjectError" role="alert">
          {model.runError}
        </p>
      ) : null}
      <div className="jp-Trackside-ProjectActions">
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept"
          disabled={!model.canRun}
        >
          {model.isStarting ? trans.__('Starting…') : trans.__('Run')}
        </button>
      </div>
    </form>
  );
}

/**
 * One parameter: a text field whose keyboard fits its type, the default
 * shown, and what is wrong with the value right below it.
 */
function ParameterField(props: {
  id: string;
  parameter: IProjectParameter;
  value: string;
  error: string | null;
  onChange: (value: string) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { id, parameter, value, error, onChange, trans } = props;
  const { inputMode, spellCheck } = inputAttributes(parameter.type);
  const hint =
    parameter.default === null
      ? trans.__('%1, required', parameter.type)
      : trans.__('%1, default %2', parameter.type, parameter.default);
  return (
    <div className="jp-Trackside-ProjectParam">
      <label htmlFor={id} className="jp-Trackside-ProjectParamName">
        {parameter.name}
      </label>
      <input
        id={id}
        className="jp-mod-styled jp-Trackside-ProjectParamInput"
        type="text"
        inputMode={inputMode}
        spellCheck={spellCheck}
        autoComplete="off"
        value={value}
        aria-invalid={error !== null}
        aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
        onChange={event => onChange(event.currentTarget.value)}
      />
      <span id={`${id}-hint`} className="jp-Trackside-ProjectParamHint">
        {hint}
      </span>
      {error ? (
        <span
          id={`${id}-error`}
          className="jp-Trackside-ProjectParamError"
          role="alert"
        >
          {trans.__('%1 %2', parameter.name, error)}
        </span>
      ) : null}
    </div>
  );
}

/**
 * The experiment to log to (existing names suggested) and the environment
 * manager (those not installed shown disabled).
 */
function RunSettings(props: {
  model: ProjectModel;
  formId: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, formId, trans } = props;
  const listId = `${formId}-experiments`;
  return (
    <div className="jp-Trackside-ProjectSettings">
      <label className="jp-Trackside-ProjectSetting">
        <span>{trans.__('Experiment')}</span>
        <input
          className="jp-mod-styled"
          type="text"
          list={listId}
          autoComplete="off"
          value={model.experimentName}
          onChange={event => model.setExperimentName(event.currentTarget.value)}
        />
        <datalist id={listId}>
          {model.experimentNames.map(name => (
            <option key={name} value={name} />
          ))}
        </datalist>
      </label>
      <label className="jp-Trackside-ProjectSetting">
        <span>{trans.__('Environment manager')}</span>
        <select
          className="jp-mod-styled"
          value={model.envManager}
          onChange={event => model.setEnvManager(event.currentTarget.value)}
        >
          {model.envManagerNames.map(name => {
            const available = model.isEnvManagerAvailable(name);
            return (
              <option key={name} value={name} disabled={!available}>
                {available
                  ? name
                  : model.envManagers === null
                    ? trans.__('%1 (unknown)', name)
                    : trans.__('%1 (not installed)', name)}
              </option>
            );
          })}
        </select>
      </label>
    </div>
  );
}

/**
 * The exact command Run executes, with a Copy button.
 */
function CommandPreview(props: {
  command: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { command, trans } = props;
  return (
    <div className="jp-Trackside-ProjectCommand">
      <pre
        className="jp-Trackside-ProjectCommandText"
        aria-label={trans.__('Command')}
      >
        {command}
      </pre>
      <button
        type="button"
        className="jp-Button jp-mod-styled jp-mod-minimal"
        aria-label={trans.__('Copy the command')}
        onClick={() => Clipboard.copyToSystem(command)}
      >
        {trans.__('Copy')}
      </button>
    </div>
  );
}
