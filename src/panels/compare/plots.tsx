import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { escapePlotlyText } from '../../charts/plotly';
import { IRun } from '../../tokens';
import { CompareData } from './data';
import { ComparePlot } from './plot';

/**
 * The parallel-coordinates plot and the scatter, with their selects.
 */
export function ComparePlots(props: {
  runs: ReadonlyArray<IRun>;
  keys: { params: string[]; metrics: string[] };
  goal: (key: string) => CompareData.Goal;
  trans: TranslationBundle;
}): JSX.Element {
  const { runs, keys, goal, trans } = props;
  const defaultMetric =
    keys.metrics.find(k => CompareData.defaultGoal(k) === 'min') ??
    keys.metrics[0];
  const [metric, setMetric] = React.useState(defaultMetric);
  const [scatterParam, setScatterParam] = React.useState(keys.params[0] ?? '');
  const [scatterMetric, setScatterMetric] = React.useState(defaultMetric);
  const parcoordsId = React.useId();
  const scatterId = React.useId();
  const scatterXId = React.useId();
  const scatterYId = React.useId();

  const chosenMetric = keys.metrics.includes(metric) ? metric : defaultMetric;
  const metricGoal = goal(chosenMetric);
  const parcoords = React.useMemo(
    () => CompareData.parcoordsDimensions(runs, chosenMetric),
    [runs, chosenMetric]
  );
  const parcoordsFigure = React.useCallback(
    (theme: ComparePlot.ITheme) => ({
      data: [
        {
          type: 'parcoords',
          dimensions: parcoords.dimensions,
          line: {
            color: parcoords.dimensions[parcoords.dimensions.length - 1].values,
            colorscale: 'Viridis',
            // The best runs are the brightest.
            reversescale: metricGoal === 'min',
            showscale: true,
            colorbar: {
              thickness: 10,
              title: { text: escapePlotlyText(chosenMetric) }
            }
          },
          labelfont: { color: theme.fontColor, size: 11 },
          tickfont: { color: theme.fontColor, size: 10 },
          rangefont: { color: theme.fontColor, size: 9 }
        }
      ],
      layout: {
        height: 280,
        margin: { l: 40, r: 30, t: 40, b: 20 },
        paper_bgcolor: 'rgba(0,0,0,0)',
        plot_bgcolor: 'rgba(0,0,0,0)',
        font: { family: theme.font, color: theme.fontColor, size: 11 }
      }
    }),
    [parcoords, chosenMetric, metricGoal]
  );

  const xKey = keys.params.includes(scatterParam)
    ? scatterParam
    : keys.params[0];
  const yKey = keys.metrics.includes(scatterMetric)
    ? scatterMetric
    : defaultMetric;
  const points = React.useMemo(
    () =>
      xKey !== undefined ? CompareData.scatterPoints(runs, xKey, yKey) : null,
    [runs, xKey, yKey]
  );
  const scatterFigure = React.useCallback(
    (theme: ComparePlot.ITheme) => ({
      data: [
        {
          type: 'scatter',
          mode: 'markers',
          x: points?.x ?? [],
          y: points?.y ?? [],
          text: points?.text ?? [],
          hovertemplate: '%{text}<br>%{x}<br>%{y}<extra></extra>',
          marker: { size: 9, color: theme.accent }
        }
      ],
      layout: {
        height: 260,
        margin: { l: 50, r: 10, t: 10, b: 45 },
        paper_bgcolor: 'rgba(0,0,0,0)',
        plot_bgcolor: 'rgba(0,0,0,0)',
        font: { family: theme.font, color: theme.fontColor, size: 11 },
        xaxis: {
          title: { text: escapePlotlyText(xKey ?? '') },
          type: points?.numeric ? '-' : 'category',
          gridcolor: theme.gridColor,
          zerolinecolor: theme.gridColor
        },
        yaxis: {
          title: { text: escapePlotlyText(yKey) },
          gridcolor: theme.gridColor,
          zerolinecolor: theme.gridColor
        }
      }
    }),
    [points, xKey, yKey]
  );

  const paramLabels = parcoords.dimensions.length - 1;
  return (
    <div className="jp-Trackside-ComparePlots">
      <section
        className="jp-Trackside-CompareChart"
        aria-labelledby={parcoordsId}
      >
        <div className="jp-Trackside-CompareChartHeader">
          <h4 id={parcoordsId}>{trans.__('Parallel coordinates')}</h4>
          <label className="jp-Trackside-CompareSelect">
            {trans.__('Metric')}
            <KeySelect
              value={chosenMetric}
              keys={keys.metrics}
              onChange={setMetric}
            />
          </label>
        </div>
        <ComparePlot
          figure={parcoordsFigure}
          className="jp-mod-parcoords"
          trans={trans}
          summary={trans._n(
            'Parallel coordinates of %1 run: %2 param axes, then %3 (%4).',
            'Parallel coordinates of %1 runs: %2 param axes, then %3 (%4).',
            parcoords.runs.length,
            paramLabels,
            chosenMetric,
            metricGoal === 'min'
              ? trans.__('lower is better')
              : trans.__('higher is better')
          )}
        />
      </section>
      {xKey !== undefined && (
        <section
          className="jp-Trackside-CompareChart"
          aria-labelledby={scatterId}
        >
          <div className="jp-Trackside-CompareChartHeader">
            <h4 id={scatterId}>{trans.__('Scatter')}</h4>
            <label className="jp-Trackside-CompareSelect" htmlFor={scatterXId}>
              {trans.__('Param')}
            </label>
            <KeySelect
              id={scatterXId}
              value={xKey}
              keys={keys.params}
              onChange={setScatterParam}
            />
            <label className="jp-Trackside-CompareSelect" htmlFor={scatterYId}>
              {trans.__('Metric')}
            </label>
            <KeySelect
              id={scatterYId}
              value={yKey}
              keys={keys.metrics}
              onChange={setScatterMetric}
            />
          </div>
          <ComparePlot
            figure={scatterFigure}
            className="jp-mod-scatter"
            trans={trans}
            summary={trans._n(
              '%2 against %3 for %1 run.',
              '%2 against %3 for %1 runs.',
              points?.y.length ?? 0,
              yKey,
              xKey
            )}
          />
        </section>
      )}
    </div>
  );
}

/**
 * A drop-down of metric or param keys.
 */
function KeySelect(props: {
  id?: string;
  value: string | undefined;
  keys: ReadonlyArray<string>;
  onChange: (key: string) => void;
}): JSX.Element {
  const { id, value, keys, onChange } = props;
  return (
    <select
      id={id}
      value={value}
      onChange={event => onChange(event.currentTarget.value)}
    >
      {keys.map(k => (
        <option key={k} value={k}>
          {k}
        </option>
      ))}
    </select>
  );
}
