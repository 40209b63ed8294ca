import { IRun, ITracksideService } from '../../tokens';

/**
 * Loading the runs of an experiment: paging through `runs/search`, and the
 * cheap refresh of a large set.
 *
 * Paging uses MLflow's opaque `next_page_token` only. MLflow has no offset
 * paging and no run count, and documents its token format as unstable, so
 * tokens are never forged: a page is reached by following the tokens of the
 * pages before it (or by asking for another order, e.g. the oldest runs
 * first, which puts the far end on the first page).
 */
export namespace RunsLoader {
  /**
   * The size of the first page: small, so that the table shows quickly.
   */
  export const FIRST_PAGE = 100;

  /**
   * The size of the next pages.
   */
  export const PAGE = 1000;

  /**
   * The order of the runs: most recently started first.
   */
  export const ORDER_BY = ['attributes.start_time DESC'];

  /**
   * The loaded runs of an experiment.
   */
  export interface ILoaded {
    readonly runs: ReadonlyArray<IRun>;
    /**
     * Whether every run that matches the filter is loaded (none left out
     * by the limit).
     */
    readonly isComplete: boolean;
    /**
     * The token of the next page when more runs match (`null` at the end,
     * or when the token is not known, e.g. after a refresh of a large set
     * that kept its older runs: the previous token then still applies).
     */
    readonly nextPageToken?: string | null;
  }

  /**
   * What to load.
   */
  export interface IOptions {
    readonly experimentId: string;
    /**
     * MLflow filter expression; empty for none.
     */
    readonly filter: string;
    /**
     * The maximum number of runs to load.
     */
    readonly limit: number;
    /**
     * The size of the first page; `FIRST_PAGE` by default.
     */
    readonly firstPage?: number;
    /**
     * The server-side order; `ORDER_BY` (most recent first) by default.
     */
    readonly orderBy?: ReadonlyArray<string>;
    /**
     * Start at this page (a token MLflow gave) instead of the first.
     */
    readonly pageToken?: string | null;
    /**
     * The most pages to load; all of them (up to the limit) by default.
     */
    readonly pages?: number;
    /**
     * Called with the runs loaded so far after every page but the last.
     */
    readonly onPage?: (loaded: ILoaded) => void;
    /**
     * Stop early (returns what was loaded) when this returns `true`.
     */
    readonly isCancelled?: () => boolean;
  }

  /**
   * Load the runs, following `next_page_token` up to the limit.
   *
   * Rejects with the service's error (e.g. an invalid filter).
   */
  export async function load(
    service: ITracksideService,
    options: IOptions
  ): Promise<ILoaded> {
    const { experimentId, filter, limit } = options;
    const orderBy = [...(options.orderBy ?? ORDER_BY)];
    const runs: IRun[] = [];
    const seen = new Set<string>();
    let pageToken: string | null = options.pageToken ?? null;
    let first = true;
    let pages = 0;
    do {
      const size: number = Math.min(
        limit - runs.length,
        first ? (options.firstPage ?? FIRST_PAGE) : PAGE
      );
      const page: ITracksideService.IRunsPage = await service.searchRuns({
        experimentIds: [experimentId],
        filter: filter || undefined,
        maxResults: size,
        orderBy,
        pageToken: pageToken ?? undefined
      });
      first = false;
      pages++;
      for (const run of page.runs) {
        if (!seen.has(run.info.run_id)) {
          seen.add(run.info.run_id);
          runs.push(run);
        }
      }
      // A repeated token would loop for ever; treat it as the end.
      pageToken =
        page.nextPageToken && page.nextPageToken !== pageToken
          ? page.nextPageToken
          : null;
      if (
        pageToken &&
        runs.length < limit &&
        pages < (options.pages ?? Infinity) &&
        options.onPage
      ) {
        options.onPage({ runs: [...runs], isComplete: false });
      }
    } while (
      pageToken &&
      runs.length < limit &&
      pages < (options.pages ?? Infinity) &&
      !(options.isCancelled?.() ?? false)
    );
    return { runs, isComplete: pageToken === null, nextPageToken: pageToken };
  }

  /**
   * Refresh loaded runs.
   *
   * A set that fits in one page is simply loaded again (with `pages`: as
   * many runs as were loaded, at least a first page, in one request). A
   * larger one is refreshed with two requests: the most recent page (new
   * runs, recent changes, deletions among them) and the runs still RUNNING;
   * older runs are kept as they were. In another order than the default
   * one, only the first page is refreshed and the rest kept.
   */
  export async function update(
    service: ITracksideService,
    options: IOptions & { readonly previous: ILoaded | null }
  ): Promise<ILoaded> {
    const { previous, experimentId, filter, limit } = options;
    const size = Math.min(limit, PAGE);
    if (previous === null || previous.runs.length <= size) {
      const firstPage =
        options.pages === undefined
          ? size
          : Math.min(
              size,
              Math.max(
                previous?.runs.length ?? 0,
                options.firstPage ?? FIRST_PAGE
              )
            );
      return load(service, { ...options, firstPage, onPage: undefined });
    }
    if (options.orderBy && !sameOrder(options.orderBy, ORDER_BY)) {
      const head = await load(service, {
        ...options,
        firstPage: size,
        pages: 1,
        onPage: undefined
      });
      const ids = new Set(head.runs.map(run => run.info.run_id));
      const rest = previous.runs
        .slice(size)
        .filter(run => !ids.has(run.info.run_id));
      if (head.isComplete) {
        return head;
      }
      // The next token still points past the runs kept.
      return {
        runs: [...head.runs, ...rest].slice(0, limit),
        isComplete: previous.isComplete
      };
    }
    const [recent, running] = await Promise.all([
      service.searchRuns({
        experimentIds: [experimentId],
        filter: filter || undefined,
        maxResults: size,
        orderBy: ORDER_BY
      }),
      service.searchRuns({
        experimentIds: [experimentId],
        filter: and(filter, "attributes.status = 'RUNNING'"),
        maxResults: PAGE,
        orderBy: ORDER_BY
      })
    ]);
    if (!recent.nextPageToken) {
      return { runs: recent.runs, isComplete: true, nextPageToken: null };
    }
    // The recent page holds every run started at or after its last one.
    const boundary = Math.min(
      ...recent.runs.map(run => run.info.start_time ?? -Infinity)
    );
    const fresh = new Map<string, IRun>();
    for (const run of [...recent.runs, ...running.runs]) {
      fresh.set(run.info.run_id, run);
    }
    const older = previous.runs.filter(
      run =>
        !fresh.has(run.info.run_id) &&
        (run.info.start_time ?? -Infinity) <= boundary
    );
    const olderIds = new Set(older.map(run => run.info.run_id));
    const runs = [
      ...recent.runs,
      ...running.runs.filter(
        run =>
          !olderIds.has(run.info.run_id) &&
          (run.info.start_time ?? -Infinity) < boundary
      ),
      ...older
    ];
    const unique = new Map<string, IRun>();
    for (const run of runs) {
      // Keep the first (most recent) copy; a fresh RUNNING copy replaces an
      // older one.
      if (!unique.has(run.info.run_id)) {
        unique.set(run.info.run_id, fresh.get(run.info.run_id) ?? run);
      }
    }
    const sorted = Array.from(unique.values()).sort(
      (a, b) => (b.info.start_time ?? 0) - (a.info.start_time ?? 0)
    );
    return {
      runs: sorted.slice(0, limit),
      isComplete: previous.isComplete && sorted.length <= limit
    };
  }

  /**
   * Whether two `order_by` lists are the same.
   */
  export function sameOrder(
    a: ReadonlyArray<string>,
    b: ReadonlyArray<string>
  ): boolean {
    return a.length === b.length && a.every((clause, i) => clause === b[i]);
  }

  /**
   * Join two MLflow filter expressions with `and`.
   */
  export function and(a: string, b: string): string {
    return a.trim() ? `${a.trim()} and ${b}` : b;
  }
}
