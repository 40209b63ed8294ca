import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { TracksideModel } from '../../models/tracksideModel';

/**
 * The "Runs | Models" switch at the top of the panel: two toggle buttons,
 * the pressed one naming the section the current view belongs to. A click
 * goes to the section's first view (the experiments, the registered
 * models), so both are always one click away.
 */
export function SectionSwitch(props: {
  connection: TracksideModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { connection, trans } = props;
  const sections: ReadonlyArray<{
    section: TracksideModel.Section;
    label: string;
    show: () => void;
  }> = [
    {
      section: 'runs',
      label: trans.__('Runs'),
      show: () => connection.showList()
    },
    {
      section: 'models',
      label: trans.__('Models'),
      show: () => connection.showModels()
    }
  ];
  return (
    <UseSignal signal={connection.viewChanged}>
      {() => {
        const current = TracksideModel.sectionOf(connection.view);
        return (
          <div
            className="jp-Trackside-SectionSwitch"
            role="group"
            aria-label={trans.__('Panel section')}
          >
            {sections.map(({ section, label, show }) => (
              <button
                key={section}
                type="button"
                className="jp-Trackside-SectionButton"
                aria-pressed={current === section}
                onClick={show}
              >
                {label}
              </button>
            ))}
          </div>
        );
      }}
    </UseSignal>
  );
}
