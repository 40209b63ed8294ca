import { Clipboard } from '@jupyterlab/apputils';
import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { errorMessage } from '../../services/errorMessage';
import { ModelCommandIDs } from '../../tokens';
import { DetailSection } from '../../widgets/detailSection';
import { HighlightedCode } from '../../widgets/artifactPreview/highlight';
import { modelUri, ModelReference } from './snippet';

/**
 * The load snippet, with a choice of reference (version or alias), Copy
 * and Insert into notebook.
 */
export function SnippetSection(props: {
  references: ReadonlyArray<ModelReference>;
  snippet: (reference: ModelReference) => string;
  commands: CommandRegistry | null;
  languages: IEditorLanguageRegistry | null;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { references, commands, trans } = props;
  const [index, setIndex] = React.useState(0);
  const [note, setNote] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const selectId = React.useId();
  const reference = references[Math.min(index, references.length - 1)];
  if (!reference) {
    return null;
  }
  const code = props.snippet(reference);
  const copy = () => {
    Clipboard.copyToSystem(code);
    setError(null);
    setNote(trans.__('Copied.'));
  };
  // Always offered: a notebook opened after this rendered counts, and the
  // command says when there is none.
  const insert = async () => {
    setNote(null);
    setError(null);
    try {
      await commands!.execute(ModelCommandIDs.insertSnippet, { code });
      setNote(trans.__('Inserted below the active cell.'));
    } catch (reason) {
      setError(errorMessage(reason));
    }
  };
  return (
    <DetailSection title={trans.__('Load in Python')} count={null}>
      {references.length > 1 ? (
        <div className="jp-Trackside-SnippetChoice">
          <label htmlFor={selectId}>{trans.__('Load by')}</label>
          <select
            id={selectId}
            className="jp-mod-styled"
            value={index}
            onChange={event => setIndex(Number(event.target.value))}
          >
            {references.map((r, i) => (
              <option key={i} value={i}>
                {modelUri(r)}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <HighlightedCode
        code={code}
        language="python"
        languages={props.languages}
        label={trans.__('Load snippet')}
      />
      <div className="jp-Trackside-SnippetActions">
        <button
          type="button"
          className="jp-Button jp-mod-styled"
          onClick={copy}
        >
          {trans.__('Copy')}
        </button>
        {commands ? (
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-accept"
            title={commands.caption(ModelCommandIDs.insertSnippet)}
            onClick={() => void insert()}
          >
            {trans.__('Insert into notebook')}
          </button>
        ) : null}
        {note ? (
          <span className="jp-Trackside-SnippetNote" role="status">
            {note}
          </span>
        ) : null}
      </div>
      {error ? (
        <p className="jp-Trackside-DetailError" role="alert">
          {error}
        </p>
      ) : null}
    </DetailSection>
  );
}
