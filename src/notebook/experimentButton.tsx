import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { CommandIDs } from '../commands';
import { NotebookTracking } from './notebookTracking';

/**
 * The notebook toolbar item showing the notebook's MLflow experiment; a
 * click lets the user choose another one.
 */
export class ExperimentButton extends ReactWidget {
  constructor(options: ExperimentButton.IOptions) {
    super();
    this._options = options;
    this.addClass('jp-Trackside-ExperimentButton');
  }

  protected render(): JSX.Element {
    const { tracking, commands, trans } = this._options;
    return (
      <UseSignal signal={tracking.stateChanged}>
        {() => {
          const name = tracking.experiment ?? trans.__('Default');
          return (
            <button
              type="button"
              className="jp-ToolbarButtonComponent jp-Trackside-ExperimentButton-button"
              title={trans.__(
                'MLflow experiment of this notebook: %1 (click to change)',
                name
              )}
              aria-label={trans.__('MLflow experiment: %1', name)}
              onClick={() => {
                void commands.execute(CommandIDs.chooseExperiment);
              }}
            >
              <span className="jp-Trackside-ExperimentButton-label">
                {trans.__('Experiment:')}
              </span>{' '}
              <span className="jp-Trackside-ExperimentButton-name">{name}</span>
            </button>
          );
        }}
      </UseSignal>
    );
  }

  private _options: ExperimentButton.IOptions;
}

export namespace ExperimentButton {
  export interface IOptions {
    tracking: NotebookTracking;
    commands: CommandRegistry;
    trans: TranslationBundle;
  }
}
