import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

/**
 * Process a widget's message and follow its visibility: `setVisible` hears
 * `true` after the widget is shown (or attached visible) and `false` after
 * it is hidden (or attached hidden) and before it is detached, so a model
 * can stand by while its view is not on screen.
 *
 * Call it from the widget's `processMessage`, with `process` calling the
 * base class's.
 */
export function processFollowingVisibility(
  widget: Widget,
  msg: Message,
  process: () => void,
  setVisible: (isVisible: boolean) => void
): void {
  if (msg.type === 'before-detach') {
    setVisible(false);
    process();
    return;
  }
  process();
  switch (msg.type) {
    case 'after-show':
      setVisible(true);
      break;
    case 'after-hide':
      setVisible(false);
      break;
    case 'after-attach':
      setVisible(widget.isVisible);
      break;
  }
}
