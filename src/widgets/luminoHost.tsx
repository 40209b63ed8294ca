import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

/**
 * Hosts a Lumino widget inside React: the widget is created (by `create`)
 * only once its placeholder scrolls into view, attached in an effect,
 * resized with its host, and disposed on unmount.
 */
export function LuminoHost(props: {
  /**
   * Create the widget; called once, when the host first becomes visible.
   */
  create: () => Widget;
  /**
   * Class of the host element (its CSS gives the placeholder its size).
   */
  className?: string;
  /**
   * Text shown until the widget is created.
   */
  placeholder?: string;
  /**
   * Create at once instead of when scrolled into view.
   */
  eager?: boolean;
}): JSX.Element {
  const ref = React.useRef<HTMLDivElement>(null);
  const create = React.useRef(props.create);
  create.current = props.create;
  const [visible, setVisible] = React.useState(
    props.eager || typeof IntersectionObserver !== 'function'
  );

  // Lazy: wait until the placeholder is (nearly) in view.
  React.useEffect(() => {
    const node = ref.current;
    if (visible || !node) {
      return;
    }
    const observer = new IntersectionObserver(
      entries => {
        if (entries.some(entry => entry.isIntersecting)) {
          setVisible(true);
        }
      },
      { rootMargin: '200px' }
    );
    observer.observe(node);
    return () => observer.disconnect();
  }, [visible]);

  // A layout effect: the widget is attached before the browser paints.
  React.useLayoutEffect(() => {
    const node = ref.current;
    if (!visible || !node) {
      return;
    }
    const widget = create.current();
    Widget.attach(widget, node);
    let observer: ResizeObserver | null = null;
    if (typeof ResizeObserver === 'function') {
      observer = new ResizeObserver(() => {
        if (!widget.isDisposed) {
          MessageLoop.sendMessage(widget, Widget.ResizeMessage.UnknownSize);
        }
      });
      observer.observe(node);
    }
    return () => {
      observer?.disconnect();
      // After React's commit: a widget holding React roots of its own (a
      // chart toolbar) must not unmount them while React is rendering.
      queueMicrotask(() => release(widget));
    };
  }, [visible]);

  return (
    <div ref={ref} className={props.className}>
      {!visible && props.placeholder ? (
        <span className="jp-Trackside-ChartPlaceholder">
          {props.placeholder}
        </span>
      ) : null}
    </div>
  );
}

/**
 * Detach (from wherever React left it) and dispose a hosted widget.
 */
function release(widget: Widget): void {
  if (widget.isAttached && !widget.isDisposed) {
    if (widget.node.isConnected) {
      Widget.detach(widget);
    } else {
      // The host is already gone from the document: detach by hand.
      MessageLoop.sendMessage(widget, Widget.Msg.BeforeDetach);
      widget.node.remove();
      MessageLoop.sendMessage(widget, Widget.Msg.AfterDetach);
    }
  }
  widget.dispose();
}
