import { loadArrow } from '../wire/decode';
import { loadPlotly } from './plotly';

let requested = false;

/**
 * Load the chart libraries (Plotly, 4.8 MB, and Arrow) in the browser's idle
 * time, once. Called when the Trackside panel is shown, so the first chart a
 * user opens does not wait for them; JupyterLab's start-up never does.
 */
export function preloadChartLibraries(): void {
  if (requested) {
    return;
  }
  requested = true;
  const load = () => {
    void loadPlotly().catch(() => undefined);
    void loadArrow().catch(() => undefined);
  };
  if (typeof requestIdleCallback === 'function') {
    requestIdleCallback(load, { timeout: 5000 });
  } else {
    setTimeout(load, 1000);
  }
}
