import { TranslationBundle } from '@jupyterlab/translation';
import { caretLeftIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

/**
 * The header of a comparison: the way back to the runs, the title and
 * `children` (actions such as opening the runs' experiment in the main
 * area).
 */
export function CompareHeader(props: {
  count: number;
  onBack: () => void;
  trans: TranslationBundle;
  children?: React.ReactNode;
}): JSX.Element {
  const { count, onBack, trans, children } = props;
  return (
    <div className="jp-Trackside-CompareHeader">
      <button
        type="button"
        className="jp-Trackside-BackButton"
        onClick={onBack}
      >
        <caretLeftIcon.react tag="span" className="jp-Trackside-BackIcon" />
        {trans.__('Back to runs')}
      </button>
      <h3 className="jp-Trackside-CompareTitle">
        {trans._n('Compare %1 run', 'Compare %1 runs', count)}
      </h3>
      {children}
    </div>
  );
}
