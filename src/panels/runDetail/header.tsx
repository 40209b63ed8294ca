import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { Format } from '../../models/format';
import { IRunInfo } from '../../tokens';

/**
 * The bar above a run: the way back to the runs.
 */
export function RunDetailBar(props: {
  onBack: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <div className="jp-Trackside-DetailBar">
      <button
        type="button"
        className="jp-Button jp-mod-minimal jp-Trackside-DetailBack"
        onClick={props.onBack}
      >
        {props.trans.__('← Runs')}
      </button>
    </div>
  );
}

/**
 * The header of a run: its name (focusable, so that opening a run moves the
 * focus to it) and its status badge.
 */
export function RunDetailHeader(props: {
  info: IRunInfo;
  headingRef: React.RefObject<HTMLHeadingElement>;
  trans: TranslationBundle;
}): JSX.Element {
  const { info, headingRef, trans } = props;
  return (
    <header className="jp-Trackside-DetailHeader">
      <h3
        className="jp-Trackside-DetailName"
        tabIndex={-1}
        ref={headingRef}
        title={info.run_id}
      >
        {Format.runName(info)}
      </h3>
      <span
        className={`jp-Trackside-RunStatus jp-mod-${info.status.toLowerCase()}${
          info.status === 'RUNNING' ? ' jp-mod-running' : ''
        }`}
      >
        {Format.runStatus(info.status, trans)}
      </span>
    </header>
  );
}
