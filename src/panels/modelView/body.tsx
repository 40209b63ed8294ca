import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { Format } from '../../models/format';
import { errorMessage } from '../../services/errorMessage';
import { IModelVersion, ModelCommandIDs } from '../../tokens';
import { IServingService } from '../../tokens/serving';
import { FileTree } from '../../widgets/artifactPreview/view';
import { DetailSection } from '../../widgets/detailSection';
import { ModelBody } from '../../widgets/modelBody';
import { ServeButton } from '../../widgets/serveButton';
import { ModelViewModel } from './model';
import {
  Flavors,
  InputExample,
  MLmodelFile,
  PartStatus,
  Requirements,
  Signature,
  sizeText
} from './sections';
import { SnippetSection } from './snippetSection';

/**
 * What the model view needs beyond its model.
 */
export interface IModelViewServices {
  readonly commands?: CommandRegistry | null;
  readonly languages?: IEditorLanguageRegistry | null;
  readonly serving?: IServingService | null;
}

/**
 * The body of the model view; it owns (and disposes) the model.
 */
export class ModelViewBody extends ModelBody<
  ModelViewModel,
  IModelViewServices
> {
  constructor(options: ModelViewBody.IOptions) {
    super(options, 'jp-Trackside-ModelViewBody');
  }

  protected render(): JSX.Element {
    const model = this.model;
    return (
      <UseSignal signal={model.changed}>
        {() => (
          <UseSignal signal={model.connection.statusChanged}>
            {() => (
              <ModelView
                model={model}
                services={this.services}
                trans={this.trans}
              />
            )}
          </UseSignal>
        )}
      </UseSignal>
    );
  }
}

export namespace ModelViewBody {
  export type IOptions = ModelBody.IOptions<ModelViewModel, IModelViewServices>;
}

/**
 * The title of the model shown.
 */
function title(model: ModelViewModel, trans: TranslationBundle): string {
  const target = model.target;
  switch (target.kind) {
    case 'modelVersion':
      return trans.__('%1 version %2', target.name, target.version);
    case 'loggedModel':
      return model.loggedModel?.name || target.modelId;
    case 'runArtifactModel':
      return target.path || trans.__('Run model');
  }
}

/**
 * One model: what it is, how to load it, its flavors, signature, input
 * example, requirements, `MLmodel` file and files. Every string from
 * MLflow is a text node.
 */
export function ModelView(props: {
  model: ModelViewModel;
  services: IModelViewServices;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, services, trans } = props;
  const languages = services.languages ?? null;
  const commands = services.commands ?? null;
  const heading = title(model, trans);
  const headingRef = React.useRef<HTMLHeadingElement>(null);
  React.useEffect(() => {
    headingRef.current?.focus();
  }, [heading]);

  const back = (
    <div className="jp-Trackside-DetailBar">
      <button
        type="button"
        className="jp-Button jp-mod-minimal jp-Trackside-DetailBack"
        onClick={() => model.back()}
      >
        {model.target.kind === 'modelVersion'
          ? trans.__('← %1', model.target.name)
          : trans.__('← Back')}
      </button>
    </div>
  );

  const mlmodel = model.mlmodel;
  return (
    <section
      className="jp-Trackside-Detail jp-Trackside-ModelView"
      aria-label={heading}
    >
      {back}
      <header className="jp-Trackside-DetailHeader">
        <h3 className="jp-Trackside-DetailName" tabIndex={-1} ref={headingRef}>
          {heading}
        </h3>
        <span className="jp-Trackside-ModelKind">{kindText(model, trans)}</span>
      </header>
      {model.error ? (
        <p className="jp-Trackside-DetailError" role="alert">
          {model.error}
        </p>
      ) : null}
      <Facts model={model} trans={trans} />
      <Actions model={model} services={services} trans={trans} />
      {model.location ? (
        <>
          <SnippetSection
            references={model.references}
            snippet={reference => model.snippet(reference)}
            commands={commands}
            languages={languages}
            trans={trans}
          />
          {mlmodel.status === 'ready' ? (
            <>
              <Flavors flavors={mlmodel.value.flavors} trans={trans} />
              <Signature
                signature={mlmodel.value.signature}
                error={mlmodel.value.signatureError}
                trans={trans}
              />
              <InputExample example={model.inputExample} trans={trans} />
            </>
          ) : (
            <DetailSection title={trans.__('MLmodel file')} count={null}>
              <PartStatus
                part={mlmodel}
                missing={trans.__(
                  'No MLmodel file: this folder is not a MLflow model.'
                )}
                trans={trans}
              />
            </DetailSection>
          )}
          <Requirements requirements={model.requirements} trans={trans} />
          {model.mlmodelText !== null ? (
            <MLmodelFile
              text={model.mlmodelText}
              languages={languages}
              trans={trans}
            />
          ) : null}
          {model.files ? (
            <DetailSection
              title={trans.__('Files')}
              count={model.files.files()?.length ?? null}
            >
              <FileTree
                model={model.files}
                languages={languages}
                trans={trans}
              />
            </DetailSection>
          ) : null}
        </>
      ) : !model.error ? (
        <p className="jp-Trackside-Placeholder">{trans.__('Loading model…')}</p>
      ) : null}
    </section>
  );
}

function kindText(model: ModelViewModel, trans: TranslationBundle): string {
  switch (model.target.kind) {
    case 'modelVersion':
      return trans.__('Model version');
    case 'loggedModel':
      return trans.__('Logged model');
    case 'runArtifactModel':
      return trans.__('Run artifact model');
  }
}

/**
 * The facts: ids, source run, status, dates, size.
 */
function Facts(props: {
  model: ModelViewModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const version = model.version;
  const logged = model.loggedModel;
  const target = model.target;
  const runId =
    version?.run_id ??
    logged?.source_run_id ??
    (target.kind === 'runArtifactModel' ? target.runId : null);
  const experimentId = logged?.experiment_id ?? null;
  const mlmodel = model.mlmodel.status === 'ready' ? model.mlmodel.value : null;
  return (
    <dl className="jp-Trackside-DetailFacts">
      {version ? (
        <>
          <dt>{trans.__('Status')}</dt>
          <dd>{version.status}</dd>
          {version.aliases.length > 0 ? (
            <>
              <dt>{trans.__('Aliases')}</dt>
              <dd>{version.aliases.map(a => `@${a.alias}`).join(', ')}</dd>
            </>
          ) : null}
          <dt>{trans.__('Source')}</dt>
          <dd className="jp-Trackside-DetailMono">{version.source}</dd>
          {version.current_stage && version.current_stage !== 'None' ? (
            <>
              <dt>{trans.__('Stage (legacy)')}</dt>
              <dd>{version.current_stage}</dd>
            </>
          ) : null}
        </>
      ) : null}
      {logged ? (
        <>
          <dt>{trans.__('Model id')}</dt>
          <dd className="jp-Trackside-DetailMono">{logged.model_id}</dd>
          {/* A version has its own status: the logged model's only alone. */}
          {!version ? (
            <>
              <dt>{trans.__('Status')}</dt>
              <dd>
                {logged.status.replace(/^LOGGED_MODEL_/, '').toLowerCase()}
              </dd>
            </>
          ) : null}
          {logged.creation_timestamp_ms !== null ? (
            <>
              <dt>{trans.__('Created')}</dt>
              <dd>{Format.dateTime(logged.creation_timestamp_ms)}</dd>
            </>
          ) : null}
        </>
      ) : null}
      {target.kind === 'runArtifactModel' ? (
        <>
          <dt>{trans.__('Path')}</dt>
          <dd className="jp-Trackside-DetailMono">{target.path}</dd>
        </>
      ) : null}
      {runId ? (
        <>
          <dt>{trans.__('Run')}</dt>
          <dd>
            {experimentId ? (
              <button
                type="button"
                className="jp-Trackside-DetailLink"
                onClick={() => model.connection.showRun(experimentId, runId)}
              >
                {runId}
              </button>
            ) : (
              <span className="jp-Trackside-DetailMono">{runId}</span>
            )}
          </dd>
        </>
      ) : null}
      {model.location ? (
        <>
          <dt>{trans.__('Size')}</dt>
          <dd>{sizeText(model.size, trans)}</dd>
        </>
      ) : null}
      {mlmodel?.mlflowVersion ? (
        <>
          <dt>{trans.__('MLflow')}</dt>
          <dd>{mlmodel.mlflowVersion}</dd>
        </>
      ) : null}
    </dl>
  );
}

/**
 * Register (logged and run models) and Serve (versions); hidden when the
 * user may not.
 */
function Actions(props: {
  model: ModelViewModel;
  services: IModelViewServices;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, services, trans } = props;
  const [error, setError] = React.useState<string | null>(null);
  const commands = services.commands ?? null;
  const target = model.target;
  const register = async () => {
    const registration = model.registrationSource();
    if (!commands || !registration) {
      return;
    }
    setError(null);
    try {
      const version = (await commands.execute(ModelCommandIDs.register, {
        ...registration,
        label:
          model.loggedModel?.name ??
          (target.kind === 'runArtifactModel' ? target.path : '')
      } as Record<string, string>)) as IModelVersion | null;
      if (version) {
        model.showVersion(version);
      }
    } catch (reason) {
      setError(errorMessage(reason));
    }
  };
  const registerButton =
    model.canRegister && commands ? (
      <button
        type="button"
        className="jp-Button jp-mod-styled jp-Trackside-RegisterButton"
        onClick={() => void register()}
      >
        {trans.__('Register…')}
      </button>
    ) : null;
  // The serving engineer's Serve button: registered versions only.
  const serveButton =
    target.kind === 'modelVersion' && services.serving ? (
      <ServeButton
        connection={model.connection}
        service={services.serving}
        name={target.name}
        version={target.version}
        trans={trans}
      />
    ) : null;
  // Registering is a write: say why it is missing rather than hide it
  // silently (the same words as the registered model view).
  const readOnly =
    target.kind !== 'modelVersion' &&
    model.connection.status?.capabilities?.registry_write !== true ? (
      <p className="jp-Trackside-DetailEmpty">
        {trans.__(
          'Read-only: this Jupyter server does not allow registry writes.'
        )}
      </p>
    ) : null;
  if (!registerButton && !serveButton) {
    return readOnly;
  }
  return (
    <div className="jp-Trackside-ModelActions">
      {registerButton}
      {serveButton}
      {error ? (
        <p className="jp-Trackside-DetailError" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
