import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import * as React from 'react';

/**
 * Code highlighted by JupyterLab's own language registry (the spans it
 * builds hold text nodes only); plain text without a registry or a known
 * language.
 */
export function HighlightedCode(props: {
  code: string;
  /**
   * A language name (`python`, `yaml`) or MIME type; `null` for plain text.
   */
  language: string | null;
  languages: IEditorLanguageRegistry | null;
  label?: string;
}): JSX.Element {
  const { code, language, languages } = props;
  const ref = React.useRef<HTMLElement>(null);
  React.useEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    let current = true;
    node.textContent = code;
    const found = language && languages ? languages.findBest(language) : null;
    if (found && languages) {
      const target = document.createElement('code');
      languages
        .highlight(code, found, target)
        .then(() => {
          if (current) {
            node.replaceChildren(...Array.from(target.childNodes));
          }
        })
        .catch(() => {
          // The plain text stays.
        });
    }
    return () => {
      current = false;
    };
  }, [code, language, languages]);
  return (
    <pre
      className="jp-Trackside-Code cm-s-jupyter"
      aria-label={props.label}
      tabIndex={0}
    >
      <code ref={ref} />
    </pre>
  );
}
