import { TranslationBundle } from '@jupyterlab/translation';
import { caretLeftIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

/**
 * The header of a comparison: the way back to the runs and the title.
 */
export function CompareHeader(props: {
  count: number;
  onBack: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { count, onBack, trans } = props;
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
    </div>
  );
}
