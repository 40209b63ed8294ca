import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { Format } from '../../models/format';
import { IRegisteredModel } from '../../tokens';
import { ModelBody } from '../../widgets/modelBody';
import { AliasChips, InlineError, TagChips } from './editors';
import { RegisteredModelsModel } from './listModel';

/**
 * The registered models list: the search box, MLflow's message for a
 * failed search, the models of the pages loaded and "Load more". It owns
 * (and disposes) its model.
 */
export class RegisteredModelsBody extends ModelBody<
  RegisteredModelsModel,
  null
> {
  /**
   * Create the body.
   */
  constructor(options: RegisteredModelsBody.IOptions) {
    super(options, 'jp-Trackside-ModelsBody');
  }

  /**
   * Render the body.
   */
  protected render(): JSX.Element {
    const model = this.model;
    return (
      <section
        className="jp-Trackside-Models"
        aria-label={this.trans.__('Registered models')}
      >
        <div className="jp-Trackside-ModelsToolbar">
          <SearchBox model={model} trans={this.trans} />
          <UseSignal signal={model.connection.statusChanged}>
            {() =>
              model.canServe ? (
                <button
                  type="button"
                  className="jp-Button jp-mod-styled jp-mod-reject jp-Trackside-ServedLink"
                  onClick={() => model.showServing()}
                >
                  {this.trans.__('Served models')}
                </button>
              ) : null
            }
          </UseSignal>
        </div>
        <UseSignal signal={model.changed}>
          {() => <ModelsList model={model} trans={this.trans} />}
        </UseSignal>
      </section>
    );
  }
}

/**
 * A namespace for `RegisteredModelsBody` statics.
 */
export namespace RegisteredModelsBody {
  /**
   * The options to create the body.
   */
  export type IOptions = ModelBody.IOptions<RegisteredModelsModel, null>;
}

/**
 * How long typing pauses before the search runs (ms).
 */
const SEARCH_DELAY = 250;

/**
 * The search box: plain text searches names, MLflow filter syntax is sent
 * as is. It searches when typing pauses, and at once on Enter.
 */
function SearchBox(props: {
  model: RegisteredModelsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const [text, setText] = React.useState(model.query);
  const timer = React.useRef<number | undefined>(undefined);
  React.useEffect(() => () => window.clearTimeout(timer.current), []);
  const search = (value: string) => {
    window.clearTimeout(timer.current);
    void model.search(value);
  };
  return (
    <form
      className="jp-Trackside-ModelsSearch"
      role="search"
      onSubmit={event => {
        event.preventDefault();
        search(text);
      }}
    >
      <input
        type="search"
        className="jp-mod-styled jp-Trackside-ModelsSearchInput"
        aria-label={trans.__('Search registered models')}
        placeholder={trans.__("Name, or a filter: tags.team = 'x'")}
        value={text}
        onChange={event => {
          const value = event.target.value;
          setText(value);
          window.clearTimeout(timer.current);
          timer.current = window.setTimeout(() => search(value), SEARCH_DELAY);
        }}
      />
    </form>
  );
}

/**
 * The models loaded, the search's error and the "Load more" button.
 */
function ModelsList(props: {
  model: RegisteredModelsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const models = model.models;
  const now = Date.now();
  let status: string | null = null;
  if (models === null) {
    status =
      model.error === null ? trans.__('Loading registered models…') : null;
  } else if (models.length === 0 && model.error === null) {
    status = model.query.trim()
      ? trans.__('No registered model matches the search.')
      : trans.__(
          'No registered models yet. Models registered with mlflow.register_model or log_model(registered_model_name=…) appear here.'
        );
  }
  return (
    <>
      <InlineError error={model.error} />
      {status !== null ? (
        <p className="jp-Trackside-Placeholder jp-Trackside-ModelsStatus">
          {status}
        </p>
      ) : null}
      {models && models.length > 0 ? (
        <ul
          className="jp-Trackside-ModelsList"
          aria-label={trans.__('Registered models')}
          aria-busy={model.isLoading}
        >
          {models.map(item => (
            <ModelRow
              key={item.name}
              item={item}
              now={now}
              onOpen={() => model.connection.showRegisteredModel(item.name)}
              trans={trans}
            />
          ))}
        </ul>
      ) : null}
      {model.hasMore ? (
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-Trackside-LoadMore"
          disabled={model.isLoading}
          onClick={() => void model.loadMore()}
        >
          {trans.__('Load more')}
        </button>
      ) : null}
    </>
  );
}

/**
 * One registered model: its name (a button opening it), the first line of
 * its description, latest versions, aliases, tags and last update.
 */
function ModelRow(props: {
  item: IRegisteredModel;
  now: number;
  onOpen: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { item, now, onOpen, trans } = props;
  const firstLine = item.description.split('\n', 1)[0];
  const latest = [
    ...new Set(item.latest_versions.map(version => version.version))
  ]
    .sort((a, b) => Number(b) - Number(a))
    .map(version => `v${version}`)
    .join(', ');
  return (
    <li className="jp-Trackside-ModelRow">
      <div className="jp-Trackside-ModelRowHead">
        <button
          type="button"
          className="jp-Trackside-ModelName"
          onClick={onOpen}
          title={item.name}
        >
          {item.name}
        </button>
        {item.last_updated_timestamp !== null ? (
          <span
            className="jp-Trackside-ModelUpdated"
            title={Format.dateTime(item.last_updated_timestamp)}
          >
            {Format.relativeTime(item.last_updated_timestamp, now, trans)}
          </span>
        ) : null}
      </div>
      {firstLine ? (
        <p className="jp-Trackside-ModelDescription">{firstLine}</p>
      ) : null}
      <div className="jp-Trackside-ModelMeta">
        {latest ? (
          <span className="jp-Trackside-ModelLatest">
            {trans.__('Latest: %1', latest)}
          </span>
        ) : null}
        <AliasChips
          aliases={item.aliases}
          showVersion={true}
          onDelete={null}
          trans={trans}
        />
        <TagChips tags={item.tags} label={trans.__('Tags')} />
      </div>
    </li>
  );
}
