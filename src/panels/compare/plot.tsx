import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { IPlotly, loadPlotly } from '../../charts/plotly';
import { readChartTheme, ThemeWatcher } from '../../charts/theme';

/**
 * The properties of a comparison plot.
 */
export interface IComparePlotProps {
  /**
   * Builds the traces and layout from the theme colours; every string from
   * run data in them must already be escaped (`escapePlotlyText`).
   */
  figure: (theme: ComparePlot.ITheme) => {
    data: Record<string, unknown>[];
    layout: Record<string, unknown>;
  };
  /**
   * The text summary of the chart (read by screen readers, shown on hover).
   */
  summary: string;
  className?: string;
  trans: TranslationBundle;
}

/**
 * A Plotly plot of the compare view: loads Plotly on first use, redraws
 * with `Plotly.react` when the figure changes, follows size and theme
 * changes, and purges the graph on unmount.
 */
export function ComparePlot(props: IComparePlotProps): JSX.Element {
  const { figure, summary, className, trans } = props;
  const ref = React.useRef<HTMLDivElement>(null);
  const [plotly, setPlotly] = React.useState<IPlotly | null>(null);
  const [failed, setFailed] = React.useState(false);
  const themeVersion = useThemeVersion();

  React.useEffect(() => {
    let cancelled = false;
    loadPlotly()
      .then(module => {
        if (!cancelled) {
          setPlotly(module);
        }
      })
      .catch(reason => {
        console.error('Trackside: could not load Plotly', reason);
        if (!cancelled) {
          setFailed(true);
        }
      });
    return () => {
      cancelled = true;
    };
  }, []);

  // Purge once, on unmount (the node outlives each redraw).
  React.useEffect(() => {
    const node = ref.current;
    return () => {
      if (node && plotly) {
        plotly.purge(node);
      }
    };
  }, [plotly]);

  React.useEffect(() => {
    const node = ref.current;
    if (!plotly || !node) {
      return;
    }
    const { data, layout } = figure(ComparePlot.theme(node));
    void plotly.react(node, data, layout, {
      displaylogo: false,
      responsive: false,
      modeBarButtonsToRemove: ['lasso2d', 'select2d']
    });
  }, [plotly, figure, themeVersion]);

  React.useEffect(() => {
    const node = ref.current;
    if (!plotly || !node || typeof ResizeObserver === 'undefined') {
      return;
    }
    let frame = 0;
    const observer = new ResizeObserver(() => {
      if (!frame) {
        frame = requestAnimationFrame(() => {
          frame = 0;
          if (node.isConnected && node.offsetWidth > 0) {
            void plotly.Plots.resize(node);
          }
        });
      }
    });
    observer.observe(node);
    return () => {
      observer.disconnect();
      if (frame) {
        cancelAnimationFrame(frame);
      }
    };
  }, [plotly]);

  return (
    <figure className={`jp-Trackside-ComparePlot ${className ?? ''}`}>
      <div
        ref={ref}
        className="jp-Trackside-ComparePlotArea"
        aria-hidden="true"
      />
      {!plotly && (
        <p className="jp-Trackside-Placeholder">
          {failed
            ? trans.__('The plot could not be loaded.')
            : trans.__('Loading the plot…')}
        </p>
      )}
      <figcaption className="jp-Trackside-ComparePlotSummary">
        {summary}
      </figcaption>
    </figure>
  );
}

/**
 * A namespace for `ComparePlot` statics.
 */
export namespace ComparePlot {
  /**
   * The colours and font of the current JupyterLab theme.
   */
  export interface ITheme {
    readonly font: string;
    readonly fontColor: string;
    readonly background: string;
    readonly gridColor: string;
    readonly accent: string;
  }

  /**
   * The theme at a node, from the charts' one theme reader.
   */
  export function theme(node: HTMLElement): ITheme {
    const chart = readChartTheme(node);
    return {
      font: chart.fontFamily,
      fontColor: chart.fontColor,
      background: chart.background,
      gridColor: chart.gridColor,
      accent: chart.palette[0]
    };
  }
}

/**
 * A counter that changes when JupyterLab's theme changes.
 */
function useThemeVersion(): number {
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    const watcher = new ThemeWatcher(() => setVersion(v => v + 1));
    return () => watcher.dispose();
  }, []);
  return version;
}
