import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { IRunValue } from '../../charts/barFigure';
import { MetricBarChart } from '../../charts/metricBarChart';
import { IBackfill, IRun, ISeriesStore } from '../../tokens';
import { LuminoHost } from '../../widgets/luminoHost';
import { IChartServices } from '../../widgets/metricChartGrid';
import { singleValueKeys } from './singleValues';

/**
 * The single-value keys of the compared runs with each run's value, kept
 * up to date with the series store (a history that turns out to hold more
 * points makes its key a curve again). Renders again only when they change.
 */
export function useSingleValueKeys(
  runs: ReadonlyArray<IRun>,
  store: ISeriesStore
): ReadonlyMap<string, ReadonlyArray<IRunValue>> {
  const compute = React.useCallback(
    () => singleValueKeys(runs, store),
    [runs, store]
  );
  const [state, setState] = React.useState(() => Private.snapshot(compute()));
  React.useEffect(() => {
    const update = () => {
      const next = Private.snapshot(compute());
      setState(previous => (previous.id === next.id ? previous : next));
    };
    update();
    store.changed.connect(update);
    return () => {
      store.changed.disconnect(update);
    };
  }, [compute, store]);
  return state.keys;
}

/**
 * One bar chart per single-value metric key, one bar per run.
 */
export function CompareValueBars(props: {
  keys: ReadonlyMap<string, ReadonlyArray<IRunValue>>;
  backfill: IBackfill | null;
  services: IChartServices;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { keys, backfill, services, trans } = props;
  if (keys.size === 0) {
    return null;
  }
  return (
    <section
      className="jp-Trackside-CompareCharts"
      aria-label={trans.__('Single-value metrics')}
    >
      <h4 className="jp-Trackside-CompareChartsTitle">
        {trans.__('Single values')}
      </h4>
      <div className="jp-Trackside-DetailCharts">
        {Array.from(keys, ([key, values]) => (
          <ValueBarChart
            key={key}
            metricKey={key}
            values={values}
            backfill={backfill}
            services={services}
            trans={trans}
          />
        ))}
      </div>
    </section>
  );
}

/**
 * The bar chart of one key, created when it scrolls into view and given
 * new values in place.
 */
function ValueBarChart(props: {
  metricKey: string;
  values: ReadonlyArray<IRunValue>;
  backfill: IBackfill | null;
  services: IChartServices;
  trans: TranslationBundle;
}): JSX.Element {
  const { metricKey, values, backfill, services, trans } = props;
  const chart = React.useRef<MetricBarChart | null>(null);
  const latest = React.useRef(values);
  latest.current = values;
  React.useEffect(() => {
    if (chart.current && !chart.current.isDisposed) {
      chart.current.values = values;
    }
  }, [values]);
  const create = () => {
    // The history tells a single value from several logged at step 0.
    for (const value of latest.current) {
      backfill?.request(value.runId, metricKey);
    }
    chart.current = new MetricBarChart({
      key: metricKey,
      values: latest.current,
      translator: services.translator,
      themeManager: services.themeManager
    });
    return chart.current;
  };
  return (
    <LuminoHost
      className="jp-Trackside-BarChartHost"
      placeholder={trans.__('Chart of %1', metricKey)}
      create={create}
    />
  );
}

namespace Private {
  /**
   * The keys with an id that changes only when they do.
   */
  export function snapshot(keys: Map<string, IRunValue[]>): {
    id: string;
    keys: ReadonlyMap<string, ReadonlyArray<IRunValue>>;
  } {
    // NaN and infinities become null in JSON: still one id per state.
    const id = JSON.stringify(
      Array.from(keys, ([key, values]) => [
        key,
        values.map(v => [v.runId, v.runName, String(v.value)])
      ])
    );
    return { id, keys };
  }
}
