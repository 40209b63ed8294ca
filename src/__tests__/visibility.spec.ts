import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { processFollowingVisibility } from '../widgets/visibility';

/**
 * A widget that records its visibility as the helper reports it, and when
 * its own detach hook ran.
 */
class Watched extends Widget {
  readonly events: string[] = [];

  processMessage(msg: Message): void {
    processFollowingVisibility(
      this,
      msg,
      () => super.processMessage(msg),
      isVisible => this.events.push(isVisible ? 'visible' : 'hidden')
    );
  }

  protected onBeforeDetach(msg: Message): void {
    this.events.push('before-detach');
    super.onBeforeDetach(msg);
  }
}

describe('processFollowingVisibility', () => {
  it('reports showing, hiding, attaching and detaching', () => {
    const widget = new Watched();
    Widget.attach(widget, document.body);
    widget.hide();
    widget.show();
    Widget.detach(widget);
    // Hidden before the widget's own detach hook runs.
    expect(widget.events).toEqual([
      'visible',
      'hidden',
      'visible',
      'hidden',
      'before-detach'
    ]);
    widget.dispose();
  });

  it('reports an attached hidden widget as hidden', () => {
    const widget = new Watched();
    widget.hide();
    Widget.attach(widget, document.body);
    expect(widget.events).toEqual(['hidden']);
    widget.dispose();
  });
});
