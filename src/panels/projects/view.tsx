import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';
import { LuminoHost } from '../../widgets/luminoHost';
import { IProjectEnvironment } from '../../tokens';
import { ExecutionList, executionStateLabel } from './executionList';
import { ExecutionsModel } from './executions';
import { formatProjectError } from './mlproject';
import { ProjectModel } from './model';
import { ExecutionOutputView } from './outputView';
import { RunForm } from './runForm';

/**
 * The project view of an MLproject document: its name and environment,
 * the error of its text (with the line, one click from the editor) or the
 * run form, the project's executions and the selected one's output. It
 * owns (and disposes) its model.
 */
export class ProjectView extends ReactWidget {
  /**
   * Create the view and its model.
   */
  constructor(options: ProjectView.IOptions) {
    super();
    this.addClass('jp-Trackside-ProjectView');
    this._translator = options.translator;
    this._trans = options.translator.load('jupyterlab_trackside');
    this._sanitizer = options.sanitizer;
    this._editAsText = options.editAsText;
    this._openRun = options.openRun ?? null;
    this.model = new ProjectModel({
      ...options.model,
      trans: this._trans,
      isVisible: () => this.isVisible
    });
  }

  readonly model: ProjectModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.executions.visibilityChanged();
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => this._renderProject()}
      </UseSignal>
    );
  }

  private _renderProject(): JSX.Element {
    const model = this.model;
    const trans = this._trans;
    const parsed = model.parsed;
    const name = parsed.ok ? parsed.spec.name : null;
    return (
      <section
        className="jp-Trackside-Project"
        aria-label={
          name
            ? trans.__('MLflow Project %1', name)
            : trans.__('MLflow Project')
        }
      >
        <header className="jp-Trackside-ProjectHeader">
          <h2 className="jp-Trackside-ProjectName">
            {name ?? trans.__('MLflow Project')}
          </h2>
          {parsed.ok ? (
            <span className="jp-Trackside-ProjectEnv">
              {environmentLabel(parsed.spec.environment, trans)}
            </span>
          ) : null}
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-minimal"
            onClick={() => this._editAsText(null)}
          >
            {trans.__('Edit as text')}
          </button>
        </header>
        {model.serverError ? (
          <p className="jp-Trackside-ProjectError" role="alert">
            {model.serverError}
          </p>
        ) : null}
        {parsed.ok ? (
          <RunForm model={model} spec={parsed.spec} trans={trans} />
        ) : (
          <div className="jp-Trackside-ProjectInvalid" role="alert">
            <p>{formatProjectError(parsed.error, trans)}</p>
            {parsed.error.line !== null ? (
              <button
                type="button"
                className="jp-Button jp-mod-styled"
                onClick={() => this._editAsText(parsed.error.line)}
              >
                {trans.__('Open the editor at line %1', parsed.error.line)}
              </button>
            ) : null}
          </div>
        )}
        <UseSignal signal={model.executions.changed}>
          {() => this._renderExecutions(model.executions)}
        </UseSignal>
      </section>
    );
  }

  private _renderExecutions(executions: ExecutionsModel): JSX.Element {
    const trans = this._trans;
    const output = executions.output;
    const selected = executions.selected;
    return (
      <div className="jp-Trackside-ProjectRuns">
        {executions.error ? (
          <p className="jp-Trackside-ProjectError" role="alert">
            {executions.error}
          </p>
        ) : null}
        <ExecutionList
          model={executions}
          openRun={this._openRun}
          trans={trans}
        />
        {output ? (
          <div className="jp-Trackside-ProjectOutputSection">
            <h3 className="jp-Trackside-ProjectOutputTitle">
              {selected
                ? trans.__(
                    'Output of %1 (%2)',
                    selected.entry_point,
                    executionStateLabel(selected.state, trans)
                  )
                : trans.__('Output')}
            </h3>
            {selected?.message ? (
              <p className="jp-Trackside-ProjectMessage">{selected.message}</p>
            ) : null}
            <LuminoHost
              key={output.id}
              eager={true}
              className="jp-Trackside-ProjectOutputHost"
              create={() =>
                new ExecutionOutputView({
                  output,
                  sanitizer: this._sanitizer,
                  translator: this._translator
                })
              }
            />
          </div>
        ) : null}
      </div>
    );
  }

  private _translator: ITranslator;
  private _trans: TranslationBundle;
  private _sanitizer: IRenderMime.ISanitizer;
  private _editAsText: (line: number | null) => void;
  private _openRun: ((runId: string) => void) | null;
}

/**
 * A namespace for `ProjectView` statics.
 */
export namespace ProjectView {
  /**
   * The options to create the view.
   */
  export interface IOptions {
    /**
     * The model's options (its translation and visibility come from the
     * view).
     */
    model: Omit<ProjectModel.IOptions, 'trans' | 'isVisible'>;
    translator: ITranslator;
    /**
     * The sanitizer of ANSI-coloured output.
     */
    sanitizer: IRenderMime.ISanitizer;
    /**
     * Open the same file in the text editor, at a line when given.
     */
    editAsText: (line: number | null) => void;
    /**
     * Show an MLflow run in the Trackside panel; no link without it.
     */
    openRun?: (runId: string) => void;
  }
}

/**
 * "python_env: python_env.yaml", "docker_env: image", "no environment".
 */
export function environmentLabel(
  environment: IProjectEnvironment,
  trans: TranslationBundle
): string {
  return environment.kind === 'none'
    ? trans.__('Environment: none declared')
    : trans.__('Environment: %1 (%2)', environment.kind, environment.value);
}
