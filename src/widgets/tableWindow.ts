import * as React from 'react';
import { Windowing } from '../models/windowing';

/**
 * Rows rendered above and below the visible ones.
 */
const OVERSCAN = 8;

/**
 * The row height before the stylesheet tells it (px).
 */
const DEFAULT_ROW_HEIGHT = 48;

/**
 * The rows to render for the current scroll position and row height,
 * following the nearest scrolling ancestor and size changes.
 */
export function useTableWindow(
  tableRef: React.RefObject<HTMLTableElement>,
  bodyRef: React.RefObject<HTMLTableSectionElement>,
  count: number,
  revision: number
): { range: Windowing.IRange; rowHeight: number } {
  const [state, setState] = React.useState(() => ({
    range: Windowing.range({
      offset: 0,
      viewport: 0,
      rowHeight: DEFAULT_ROW_HEIGHT,
      count,
      overscan: OVERSCAN
    }),
    rowHeight: DEFAULT_ROW_HEIGHT
  }));

  React.useLayoutEffect(() => {
    const table = tableRef.current;
    const body = bodyRef.current;
    if (!table || !body) {
      return;
    }
    const scroller = Private.scrollParent(table);
    let frame = 0;
    // Reading a computed style forces a style pass: only on size changes.
    let rowHeight = Private.rowHeight(table);
    let measure = false;
    const update = () => {
      frame = 0;
      if (measure) {
        measure = false;
        rowHeight = Private.rowHeight(table);
      }
      const bodyTop = body.getBoundingClientRect().top;
      const view = scroller
        ? scroller.getBoundingClientRect()
        : { top: 0, height: window.innerHeight };
      const range = Windowing.range({
        offset: view.top - bodyTop,
        viewport: view.height,
        rowHeight,
        count,
        overscan: OVERSCAN
      });
      setState(previous =>
        previous.rowHeight === rowHeight &&
        Windowing.sameRange(previous.range, range)
          ? previous
          : { range, rowHeight }
      );
    };
    const schedule = () => {
      if (!frame) {
        frame = requestAnimationFrame(update);
      }
    };
    update();
    const target: EventTarget = scroller ?? window;
    target.addEventListener('scroll', schedule, { passive: true });
    const observer =
      typeof ResizeObserver !== 'undefined'
        ? new ResizeObserver(() => {
            measure = true;
            schedule();
          })
        : null;
    observer?.observe(table);
    if (scroller) {
      observer?.observe(scroller);
    }
    return () => {
      target.removeEventListener('scroll', schedule);
      observer?.disconnect();
      if (frame) {
        cancelAnimationFrame(frame);
      }
    };
  }, [count, revision]);

  return state;
}

/**
 * A namespace for private helpers.
 */
namespace Private {
  /**
   * The nearest ancestor that scrolls vertically, `null` for the window.
   */
  export function scrollParent(node: HTMLElement): HTMLElement | null {
    let current = node.parentElement;
    while (current) {
      const overflow = getComputedStyle(current).overflowY;
      if (overflow === 'auto' || overflow === 'scroll') {
        return current;
      }
      current = current.parentElement;
    }
    return null;
  }

  /**
   * The row height the stylesheet sets for the current layout.
   */
  export function rowHeight(table: HTMLElement): number {
    const value = parseFloat(
      getComputedStyle(table).getPropertyValue('--jp-trackside-run-height')
    );
    return value > 0 ? value : DEFAULT_ROW_HEIGHT;
  }
}
