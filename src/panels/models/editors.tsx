import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { errorMessage } from '../../services/errorMessage';
import { IRunTag } from '../../tokens';

/**
 * A write's progress and outcome, for a form: run it, keep its error (the
 * server's message) to show inline.
 */
export function useWrite(): {
  busy: boolean;
  error: string | null;
  run: (write: () => Promise<void>) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const mounted = React.useRef(true);
  React.useEffect(
    () => () => {
      mounted.current = false;
    },
    []
  );
  const run = React.useCallback(async (write: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await write();
      return true;
    } catch (reason) {
      if (mounted.current) {
        setError(errorMessage(reason));
      }
      return false;
    } finally {
      if (mounted.current) {
        setBusy(false);
      }
    }
  }, []);
  const clear = React.useCallback(() => setError(null), []);
  return { busy, error, run, clear };
}

/**
 * The message of a failed write, shown where it was made.
 */
export function InlineError(props: {
  error: string | null;
}): JSX.Element | null {
  return props.error === null ? null : (
    <p className="jp-Trackside-ModelsError" role="alert">
      {props.error}
    </p>
  );
}

/**
 * A description: shown as text; with write access, an Edit button turns it
 * into a textarea with Save and Cancel.
 */
export function DescriptionEditor(props: {
  description: string;
  canWrite: boolean;
  label: string;
  onSave: (description: string) => Promise<void>;
  trans: TranslationBundle;
}): JSX.Element {
  const { description, canWrite, label, onSave, trans } = props;
  const [draft, setDraft] = React.useState<string | null>(null);
  const write = useWrite();
  if (draft === null) {
    return (
      <div className="jp-Trackside-Description">
        {description ? (
          <p className="jp-Trackside-DescriptionText">{description}</p>
        ) : (
          <p className="jp-Trackside-Placeholder">
            {trans.__('No description.')}
          </p>
        )}
        {canWrite ? (
          <button
            type="button"
            className="jp-Button jp-mod-minimal jp-Trackside-EditDescription"
            aria-label={trans.__('Edit %1', label)}
            onClick={() => setDraft(description)}
          >
            {trans.__('Edit')}
          </button>
        ) : null}
      </div>
    );
  }
  const save = async () => {
    if (await write.run(() => onSave(draft))) {
      setDraft(null);
    }
  };
  return (
    <form
      className="jp-Trackside-DescriptionForm"
      onSubmit={event => {
        event.preventDefault();
        void save();
      }}
    >
      <textarea
        className="jp-mod-styled jp-Trackside-DescriptionInput"
        aria-label={label}
        value={draft}
        rows={4}
        disabled={write.busy}
        onChange={event => setDraft(event.target.value)}
      />
      <InlineError error={write.error} />
      <div className="jp-Trackside-FormButtons">
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept"
          disabled={write.busy}
        >
          {trans.__('Save')}
        </button>
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject"
          disabled={write.busy}
          onClick={() => {
            write.clear();
            setDraft(null);
          }}
        >
          {trans.__('Cancel')}
        </button>
      </div>
    </form>
  );
}

/**
 * A tag as its chip shows it: `key = value`, or the key alone when the
 * value is empty.
 */
function tagText(tag: IRunTag): string {
  return tag.value === '' ? tag.key : `${tag.key} = ${tag.value}`;
}

/**
 * Tags as read-only chips; nothing when there are none.
 */
export function TagChips(props: {
  tags: ReadonlyArray<IRunTag>;
  label: string;
  className?: string;
}): JSX.Element | null {
  const { tags, label, className } = props;
  if (tags.length === 0) {
    return null;
  }
  return (
    <ul
      className={`jp-Trackside-Chips ${className ?? ''}`.trim()}
      aria-label={label}
    >
      {tags.map(tag => (
        <li key={tag.key} className="jp-Trackside-Chip">
          <span className="jp-Trackside-ChipText">{tagText(tag)}</span>
        </li>
      ))}
    </ul>
  );
}

/**
 * Tags as `key = value` chips; with write access each has a remove button
 * and a form adds (or replaces) one.
 */
export function TagsEditor(props: {
  tags: ReadonlyArray<IRunTag>;
  canWrite: boolean;
  label: string;
  onSet: (key: string, value: string) => Promise<void>;
  onDelete: (key: string) => Promise<void>;
  trans: TranslationBundle;
}): JSX.Element {
  const { tags, canWrite, label, onSet, onDelete, trans } = props;
  const [key, setKey] = React.useState('');
  const [value, setValue] = React.useState('');
  const write = useWrite();
  const add = async () => {
    if (await write.run(() => onSet(key.trim(), value))) {
      setKey('');
      setValue('');
    }
  };
  return (
    <div className="jp-Trackside-TagsEditor" aria-label={label} role="group">
      <ul className="jp-Trackside-Chips">
        {tags.map(tag => (
          <li key={tag.key} className="jp-Trackside-Chip">
            <span className="jp-Trackside-ChipText">{tagText(tag)}</span>
            {canWrite ? (
              <button
                type="button"
                className="jp-Trackside-ChipRemove"
                aria-label={trans.__('Remove tag %1', tag.key)}
                disabled={write.busy}
                onClick={() => void write.run(() => onDelete(tag.key))}
              >
                ×
              </button>
            ) : null}
          </li>
        ))}
        {tags.length === 0 ? (
          <li className="jp-Trackside-Placeholder">{trans.__('No tags.')}</li>
        ) : null}
      </ul>
      {canWrite ? (
        <form
          className="jp-Trackside-TagForm"
          onSubmit={event => {
            event.preventDefault();
            void add();
          }}
        >
          <input
            className="jp-mod-styled"
            aria-label={trans.__('Tag key')}
            placeholder={trans.__('key')}
            value={key}
            disabled={write.busy}
            onChange={event => setKey(event.target.value)}
          />
          <input
            className="jp-mod-styled"
            aria-label={trans.__('Tag value')}
            placeholder={trans.__('value')}
            value={value}
            disabled={write.busy}
            onChange={event => setValue(event.target.value)}
          />
          <button
            type="submit"
            className="jp-Button jp-mod-styled jp-mod-accept"
            disabled={write.busy || key.trim() === ''}
          >
            {trans.__('Add tag')}
          </button>
        </form>
      ) : null}
      <InlineError error={write.error} />
    </div>
  );
}

/**
 * The aliases as `alias → vN` chips (or bare names when the version is
 * implied), each removable with write access.
 */
export function AliasChips(props: {
  aliases: ReadonlyArray<{ alias: string; version: string }>;
  showVersion: boolean;
  onDelete: ((alias: string) => Promise<void>) | null;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { aliases, showVersion, onDelete, trans } = props;
  const write = useWrite();
  if (aliases.length === 0) {
    return null;
  }
  return (
    <>
      <ul className="jp-Trackside-Chips" aria-label={trans.__('Aliases')}>
        {aliases.map(({ alias, version }) => (
          <li key={alias} className="jp-Trackside-Chip jp-mod-alias">
            <span className="jp-Trackside-ChipText">
              {showVersion ? `@${alias} → v${version}` : `@${alias}`}
            </span>
            {onDelete ? (
              <button
                type="button"
                className="jp-Trackside-ChipRemove"
                aria-label={trans.__('Delete alias %1', alias)}
                disabled={write.busy}
                onClick={() => void write.run(() => onDelete(alias))}
              >
                ×
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      <InlineError error={write.error} />
    </>
  );
}
