import { NewRunProbe } from '../panels/runs/newRunProbe';
import { IRun, ITracksideService } from '../tokens';
import { sleep, waitFor } from './fakeServer';

describe('NewRunProbe', () => {
  let runs: string[];
  let searches: ITracksideService.ISearchRunsOptions[];
  let known: Set<string>;
  let expanded: string[];
  let enabled: boolean;
  let refreshes: number;
  let probe: NewRunProbe;

  beforeEach(() => {
    runs = ['old'];
    searches = [];
    known = new Set(['old']);
    expanded = ['1'];
    enabled = true;
    refreshes = 0;
    const service = {
      searchRuns: async (options: ITracksideService.ISearchRunsOptions) => {
        searches.push(options);
        return {
          runs: runs.map(id => ({ info: { run_id: id } }) as IRun),
          nextPageToken: null
        };
      }
    } as unknown as ITracksideService;
    probe = new NewRunProbe({
      service,
      experimentIds: () => expanded,
      isKnown: id => known.has(id),
      isEnabled: () => enabled,
      refresh: async () => {
        refreshes++;
      },
      interval: 10
    });
  });

  afterEach(() => {
    probe.dispose();
  });

  it('refreshes once for a run the list has not loaded', async () => {
    await waitFor(() => searches.length >= 3);
    expect(refreshes).toBe(0);
    expect(searches[0]).toEqual({
      experimentIds: ['1'],
      maxResults: NewRunProbe.NEWEST,
      orderBy: ['attributes.start_time DESC']
    });

    // A run started in a terminal: one refresh, even if it stays unknown
    // (the experiment's filter may hide it).
    runs = ['new', 'old'];
    await waitFor(() => refreshes === 1);
    const count = searches.length;
    await waitFor(() => searches.length >= count + 3);
    expect(refreshes).toBe(1);
  });

  it('looks only while enabled and some experiment is expanded', async () => {
    enabled = false;
    await sleep(60);
    expect(searches).toHaveLength(0);

    enabled = true;
    expanded = [];
    await sleep(60);
    expect(searches).toHaveLength(0);

    expanded = ['1', '2'];
    await waitFor(() => searches.length > 0);
    expect(searches[0].experimentIds).toEqual(['1', '2']);
  });

  it('stops once disposed', async () => {
    await waitFor(() => searches.length > 0);
    probe.dispose();
    const count = searches.length;
    runs = ['new'];
    await sleep(60);
    expect(searches).toHaveLength(count);
    expect(refreshes).toBe(0);
  });
});
