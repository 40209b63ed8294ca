/**
 * Run `body` with every observed element "scrolled into view": charts are
 * created only when visible, and jsdom's IntersectionObserver never fires.
 */
export async function inView(body: () => Promise<void>): Promise<void> {
  const original = globalThis.IntersectionObserver;
  globalThis.IntersectionObserver = class {
    constructor(private _callback: IntersectionObserverCallback) {}
    observe(target: Element) {
      this._callback(
        [{ isIntersecting: true, target } as IntersectionObserverEntry],
        this as unknown as IntersectionObserver
      );
    }
    disconnect() {
      // Nothing to release.
    }
  } as unknown as typeof IntersectionObserver;
  try {
    await body();
  } finally {
    globalThis.IntersectionObserver = original;
  }
}
