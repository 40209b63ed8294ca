import { IThemeManager } from '@jupyterlab/apputils';
import { IDisposable } from '@lumino/disposable';

/**
 * The colours and fonts of a chart, read from JupyterLab's `--jp-*` CSS
 * variables so that every theme (light, dark, high contrast) applies.
 */
export interface IChartTheme {
  readonly background: string;
  readonly fontColor: string;
  readonly mutedColor: string;
  readonly gridColor: string;
  readonly lineColor: string;
  readonly fontFamily: string;
  readonly fontSize: number;
  /**
   * The colours of the runs, in order.
   */
  readonly palette: ReadonlyArray<string>;
}

/**
 * The theme used where no CSS variable can be read (tests, detached nodes).
 */
export const FALLBACK_THEME: IChartTheme = {
  background: 'white',
  fontColor: 'rgba(0, 0, 0, 0.87)',
  mutedColor: 'rgba(0, 0, 0, 0.54)',
  gridColor: '#e0e0e0',
  lineColor: '#bdbdbd',
  fontFamily: 'system-ui, sans-serif',
  fontSize: 11,
  palette: [
    '#1976d2',
    '#f57c00',
    '#0097a7',
    '#d32f2f',
    '#388e3c',
    '#64b5f6',
    '#ffb74d',
    '#4dd0e1',
    '#e57373',
    '#81c784'
  ]
};

/**
 * The CSS variables of the run colours, in order.
 */
const PALETTE_VARIABLES = [
  '--jp-brand-color1',
  '--jp-warn-color1',
  '--jp-info-color1',
  '--jp-error-color1',
  '--jp-success-color1',
  '--jp-brand-color2',
  '--jp-warn-color2',
  '--jp-info-color2',
  '--jp-error-color2',
  '--jp-success-color2'
];

/**
 * Read the chart theme from the CSS variables that apply to `node`.
 */
export function readChartTheme(node: Element): IChartTheme {
  const style = window.getComputedStyle(node);
  const read = (name: string, fallback: string): string =>
    style.getPropertyValue(name).trim() || fallback;
  const fontSize = parseFloat(read('--jp-ui-font-size0', ''));
  return {
    background: read('--jp-layout-color0', FALLBACK_THEME.background),
    fontColor: read('--jp-ui-font-color1', FALLBACK_THEME.fontColor),
    mutedColor: read('--jp-ui-font-color2', FALLBACK_THEME.mutedColor),
    gridColor: read('--jp-border-color2', FALLBACK_THEME.gridColor),
    lineColor: read('--jp-border-color1', FALLBACK_THEME.lineColor),
    fontFamily: read('--jp-ui-font-family', FALLBACK_THEME.fontFamily),
    // `--jp-ui-font-size0` is relative (0.83333em) in the default themes.
    fontSize:
      Number.isFinite(fontSize) && fontSize > 4
        ? fontSize
        : FALLBACK_THEME.fontSize,
    palette: PALETTE_VARIABLES.map((name, i) =>
      read(name, FALLBACK_THEME.palette[i])
    )
  };
}

/**
 * Calls back when JupyterLab's theme changes: through the theme manager when
 * given, and always through the `data-jp-theme-*` attributes of the body
 * (which also catches themes applied without a manager).
 */
export class ThemeWatcher implements IDisposable {
  /**
   * Start watching.
   */
  constructor(callback: () => void, themeManager?: IThemeManager | null) {
    this._callback = callback;
    this._themeManager = themeManager ?? null;
    this._themeManager?.themeChanged.connect(this._onThemeChanged, this);
    if (typeof MutationObserver === 'function') {
      this._observer = new MutationObserver(() => this._callback());
      this._observer.observe(document.body, {
        attributes: true,
        attributeFilter: ['data-jp-theme-light', 'data-jp-theme-name']
      });
    }
  }

  /**
   * Whether the watcher is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Stop watching.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._themeManager?.themeChanged.disconnect(this._onThemeChanged, this);
    this._observer?.disconnect();
    this._observer = null;
  }

  private _onThemeChanged(): void {
    // The new theme's CSS is applied once the signal is emitted; read it on
    // the next frame.
    requestAnimationFrame(() => {
      if (!this._isDisposed) {
        this._callback();
      }
    });
  }

  private _callback: () => void;
  private _themeManager: IThemeManager | null;
  private _observer: MutationObserver | null = null;
  private _isDisposed = false;
}
