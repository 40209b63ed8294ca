/**
 * Plotly, loaded on first use so that JupyterLab's start-up never pays for it.
 */

/**
 * The part of Plotly's API that Trackside uses.
 */
export interface IPlotly {
  newPlot(
    root: HTMLElement,
    data: ReadonlyArray<Record<string, unknown>>,
    layout?: Record<string, unknown>,
    config?: Record<string, unknown>
  ): Promise<HTMLElement>;
  react(
    root: HTMLElement,
    data: ReadonlyArray<Record<string, unknown>>,
    layout?: Record<string, unknown>,
    config?: Record<string, unknown>
  ): Promise<HTMLElement>;
  purge(root: HTMLElement): void;
  toImage(
    root: HTMLElement,
    options: { format: 'png' | 'svg'; width?: number; height?: number }
  ): Promise<string>;
  Plots: { resize(root: HTMLElement): Promise<void> | void };
}

let loading: Promise<IPlotly> | null = null;

/**
 * Load Plotly once; later calls share the same promise.
 */
export function loadPlotly(): Promise<IPlotly> {
  if (!loading) {
    loading = import('plotly.js-dist-min').then(
      module => ((module as { default?: unknown }).default ?? module) as IPlotly
    );
  }
  return loading;
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;'
};

/**
 * Escape a string from run data before it reaches Plotly, which interprets a
 * subset of HTML in names, titles and hover text.
 */
export function escapePlotlyText(value: string): string {
  return value.replace(/[&<>"']/g, char => ENTITIES[char]);
}
