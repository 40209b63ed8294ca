import { TranslationBundle } from '@jupyterlab/translation';
import { launchIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { TracksideModel } from '../models/tracksideModel';
import { IRun } from '../tokens';

/**
 * The button that opens an experiment in the main area, as the full-width
 * experiment view. It only emits the intent (`connection.openExperiment`);
 * the experiment view's command answers it.
 */
export function OpenExperimentButton(props: {
  connection: TracksideModel;
  experimentId: string;
  /**
   * The experiment's name, for the accessible name; the id when unknown.
   */
  name: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { connection, experimentId, name, trans } = props;
  const label = trans.__('Open %1 in the main area', name);
  return (
    <button
      type="button"
      className="jp-Trackside-OpenExperiment"
      aria-label={label}
      title={label}
      onClick={() => connection.openExperiment(experimentId)}
    >
      <launchIcon.react
        tag="span"
        className="jp-Trackside-OpenExperimentIcon"
      />
    </button>
  );
}

/**
 * One open button per experiment of compared runs (usually one), in the
 * order of the runs.
 */
export function OpenExperimentButtons(props: {
  connection: TracksideModel;
  runs: ReadonlyArray<IRun> | null;
  experimentName: (experimentId: string) => string | null;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { connection, runs, experimentName, trans } = props;
  const ids = Array.from(new Set((runs ?? []).map(r => r.info.experiment_id)));
  if (ids.length === 0) {
    return null;
  }
  return (
    <>
      {ids.map(id => (
        <OpenExperimentButton
          key={id}
          connection={connection}
          experimentId={id}
          name={experimentName(id) ?? id}
          trans={trans}
        />
      ))}
    </>
  );
}
