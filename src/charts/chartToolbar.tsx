import { TranslationBundle } from '@jupyterlab/translation';
import {
  downloadIcon,
  LabIcon,
  launchIcon,
  ReactWidget,
  UseSignal
} from '@jupyterlab/ui-components';
import * as React from 'react';
import { ChartOptionsModel } from './chartOptionsModel';
import { IChartOptions, XAxisMode } from './figure';

/**
 * The toolbar of a metric chart: its key, the x axis, log scale and
 * smoothing choices (written to the chart's options model), and the
 * "Open in main area" and "Save as PNG" actions.
 */
export class ChartToolbar extends ReactWidget {
  /**
   * Create a toolbar.
   */
  constructor(options: ChartToolbar.IOptions) {
    super();
    this._options = options;
    this.addClass('jp-Trackside-ChartToolbar');
    this.node.setAttribute('role', 'toolbar');
    this.node.setAttribute(
      'aria-label',
      options.trans.__('%1 chart options', options.metricKey)
    );
  }

  protected render(): JSX.Element {
    const { model } = this._options;
    return (
      <UseSignal signal={model.changed} initialArgs={model.options}>
        {(_, options) => (
          <ChartToolbarItems
            {...this._options}
            options={options ?? model.options}
          />
        )}
      </UseSignal>
    );
  }

  private _options: ChartToolbar.IOptions;
}

/**
 * A namespace for `ChartToolbar` statics.
 */
export namespace ChartToolbar {
  /**
   * The options to create a toolbar.
   */
  export interface IOptions {
    /**
     * The metric key of the chart (not `key`, which React keeps for itself).
     */
    metricKey: string;
    model: ChartOptionsModel;
    trans: TranslationBundle;
    /**
     * Show the key (the copy in the main area has a Plotly title instead).
     */
    showKey: boolean;
    /**
     * Shows an "Open in main area" button calling this.
     */
    onOpenInMainArea: (() => void) | null;
    onSave: () => void;
  }
}

/**
 * The items of the toolbar, for the current choices.
 */
function ChartToolbarItems(
  props: ChartToolbar.IOptions & { options: IChartOptions }
): JSX.Element {
  const { metricKey, model, trans, options } = props;
  const modes: Array<[XAxisMode, string]> = [
    ['step', trans.__('Step')],
    ['wall', trans.__('Wall time')],
    ['relative', trans.__('Relative time')]
  ];
  return (
    <>
      {props.showKey && (
        <span className="jp-Trackside-ChartTitle" title={metricKey}>
          {metricKey}
        </span>
      )}
      <label className="jp-Trackside-ChartControl">
        <span>{trans.__('X axis')}</span>
        <select
          className="jp-Trackside-ChartXAxis"
          value={options.xAxis}
          onChange={event => model.setXAxis(event.target.value as XAxisMode)}
        >
          {modes.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        className="jp-Button jp-mod-minimal jp-Trackside-ChartLog"
        title={trans.__('Logarithmic y axis')}
        aria-pressed={options.logY}
        onClick={() => model.toggleLogY()}
      >
        {trans.__('Log')}
      </button>
      <label className="jp-Trackside-ChartControl">
        <span>{trans.__('Smoothing')}</span>
        <input
          type="range"
          min="0"
          max="0.99"
          step="0.01"
          className="jp-Trackside-ChartSmoothing"
          value={options.smoothing}
          aria-valuetext={options.smoothing.toFixed(2)}
          onChange={event => model.setSmoothing(Number(event.target.value))}
        />
      </label>
      {props.onOpenInMainArea && (
        <IconButton
          icon={launchIcon}
          label={trans.__('Open in main area')}
          className="jp-Trackside-ChartOpen"
          onClick={props.onOpenInMainArea}
        />
      )}
      <IconButton
        icon={downloadIcon}
        label={trans.__('Save as PNG')}
        className="jp-Trackside-ChartSave"
        onClick={props.onSave}
      />
    </>
  );
}

/**
 * A native button showing an icon, labelled for assistive technology.
 */
function IconButton(props: {
  icon: LabIcon;
  label: string;
  className: string;
  onClick: () => void;
}): JSX.Element {
  return (
    <button
      type="button"
      className={`jp-Button jp-mod-minimal jp-Trackside-ChartIcon ${props.className}`}
      title={props.label}
      aria-label={props.label}
      onClick={props.onClick}
    >
      <props.icon.react tag="span" elementSize="normal" />
    </button>
  );
}
