import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { ModelBody } from '../../widgets/modelBody';
import { DetailSection } from '../../widgets/detailSection';
import {
  AliasChips,
  DescriptionEditor,
  InlineError,
  TagsEditor
} from './editors';
import { RegisteredModelModel } from './registeredModelModel';
import { VersionsList } from './versionsList';

/**
 * The body of one registered model: its header, description, tags, aliases
 * and versions. It owns (and disposes) its model.
 */
export class RegisteredModelBody extends ModelBody<RegisteredModelModel, null> {
  /**
   * Create the body.
   */
  constructor(options: RegisteredModelBody.IOptions) {
    super(options, 'jp-Trackside-RegisteredModelBody');
  }

  /**
   * Render the body.
   */
  protected render(): JSX.Element {
    const model = this.model;
    return (
      <UseSignal signal={model.changed}>
        {() => <RegisteredModelView model={model} trans={this.trans} />}
      </UseSignal>
    );
  }
}

/**
 * A namespace for `RegisteredModelBody` statics.
 */
export namespace RegisteredModelBody {
  /**
   * The options to create the body.
   */
  export type IOptions = ModelBody.IOptions<RegisteredModelModel, null>;
}

/**
 * One registered model. Every string from MLflow is a React text node.
 */
function RegisteredModelView(props: {
  model: RegisteredModelModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const registered = model.model;
  const canWrite = model.canWrite;
  const headingRef = React.useRef<HTMLHeadingElement>(null);
  React.useEffect(() => {
    headingRef.current?.focus();
  }, [model.name]);

  return (
    <section
      className="jp-Trackside-Detail jp-Trackside-RegisteredModel"
      aria-label={trans.__('Registered model %1', model.name)}
    >
      <div className="jp-Trackside-DetailBar">
        <button
          type="button"
          className="jp-Button jp-mod-minimal jp-Trackside-DetailBack"
          onClick={() => model.connection.showModels()}
        >
          {trans.__('← Models')}
        </button>
      </div>
      <header className="jp-Trackside-DetailHeader">
        <h3
          className="jp-Trackside-DetailName"
          tabIndex={-1}
          ref={headingRef}
          title={model.name}
        >
          {model.name}
        </h3>
      </header>
      {!canWrite ? (
        <p className="jp-Trackside-ReadOnlyNote">
          {trans.__(
            'Read-only: this Jupyter server does not allow registry writes.'
          )}
        </p>
      ) : null}
      <InlineError error={model.error} />
      {registered === null ? (
        model.error === null ? (
          <p className="jp-Trackside-Placeholder">
            {trans.__('Loading registered model…')}
          </p>
        ) : null
      ) : (
        <>
          <DetailSection title={trans.__('Description')} count={null}>
            <DescriptionEditor
              description={registered.description}
              canWrite={canWrite}
              label={trans.__('Description of %1', model.name)}
              onSave={description => model.updateDescription(description)}
              trans={trans}
            />
          </DetailSection>
          <DetailSection
            title={trans.__('Tags')}
            count={registered.tags.length}
          >
            <TagsEditor
              tags={registered.tags}
              canWrite={canWrite}
              label={trans.__('Tags of %1', model.name)}
              onSet={(key, value) => model.setTag(key, value)}
              onDelete={key => model.deleteTag(key)}
              trans={trans}
            />
          </DetailSection>
          <DetailSection
            title={trans.__('Aliases')}
            count={registered.aliases.length}
          >
            {registered.aliases.length === 0 ? (
              <p className="jp-Trackside-Placeholder">
                {trans.__('No aliases.')}
              </p>
            ) : (
              <AliasChips
                aliases={registered.aliases}
                showVersion={true}
                onDelete={canWrite ? alias => model.deleteAlias(alias) : null}
                trans={trans}
              />
            )}
          </DetailSection>
        </>
      )}
      {model.versions !== null ? (
        <DetailSection
          title={trans.__('Versions')}
          count={model.versions.length}
        >
          <VersionsList model={model} trans={trans} />
          {model.hasMoreVersions ? (
            <button
              type="button"
              className="jp-Button jp-mod-styled jp-Trackside-LoadMore"
              onClick={() => void model.loadMoreVersions()}
            >
              {trans.__('Load more versions')}
            </button>
          ) : null}
        </DetailSection>
      ) : null}
    </section>
  );
}
