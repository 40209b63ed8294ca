/**
 * The windowing math of the virtualized runs table (fixed-height rows).
 */
export namespace Windowing {
  /**
   * The viewport height assumed before layout (e.g. in a hidden panel).
   */
  export const FALLBACK_VIEWPORT = 800;

  /**
   * The inputs of the visible range.
   */
  export interface IOptions {
    /**
     * How far the top of the viewport is below the top of the first row, in
     * pixels (negative when the rows start below the viewport top).
     */
    readonly offset: number;
    /**
     * The viewport height in pixels.
     */
    readonly viewport: number;
    readonly rowHeight: number;
    readonly count: number;
    /**
     * Extra rows rendered above and below the viewport.
     */
    readonly overscan: number;
  }

  /**
   * A range of row indices, `end` excluded.
   */
  export interface IRange {
    readonly start: number;
    readonly end: number;
  }

  /**
   * The rows to render: those intersecting the viewport plus the overscan,
   * clamped to the rows that exist.
   */
  export function range(options: IOptions): IRange {
    const { offset, count, overscan } = options;
    const rowHeight = options.rowHeight > 0 ? options.rowHeight : 1;
    const viewport =
      options.viewport > 0 ? options.viewport : FALLBACK_VIEWPORT;
    if (count <= 0 || offset + viewport <= 0 || offset >= count * rowHeight) {
      // Nothing visible; keep a few rows so that the table is not empty.
      const start = offset > 0 ? Math.max(0, count - overscan) : 0;
      return { start, end: Math.min(count, start + overscan) };
    }
    const first = Math.floor(Math.max(0, offset) / rowHeight);
    const last = Math.ceil((offset + viewport) / rowHeight);
    return {
      start: Math.max(0, first - overscan),
      end: Math.min(count, last + overscan)
    };
  }

  /**
   * Whether two ranges are equal.
   */
  export function sameRange(a: IRange, b: IRange): boolean {
    return a.start === b.start && a.end === b.end;
  }
}
