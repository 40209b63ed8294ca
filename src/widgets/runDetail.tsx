import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { TracksideModel } from '../models/tracksideModel';
import { IArtifactList, IRun, IRunTag, ITracksideService } from '../tokens';
import { DetailSection } from './detailSection';
import { Format } from '../models/format';
import { useIsActive, useNow } from './hooks';
import {
  IChartServices,
  MetricChartGrid,
  useBackfill
} from './metricChartGrid';
import { Provenance } from './provenance';

/**
 * What the run detail needs beyond the panel model: the series store for
 * the charts, the commands to open notebooks, the shell for charts opened in
 * the main area. Without a store, the detail shows no charts.
 */
export interface IRunDetailServices extends IChartServices {
  readonly commands?: CommandRegistry | null;
}

/**
 * The detail of one run: header, where it came from, params, latest
 * metrics, tags, artifacts and one chart per metric key.
 *
 * Every string from the run is rendered as a React text node.
 */
export function RunDetail(props: {
  model: TracksideModel;
  runId: string;
  experimentId: string;
  services: IRunDetailServices;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, runId, services, trans } = props;
  const service = model.service;
  const active = useIsActive(model);
  const state = useRun(service, runId, active);
  const artifacts = useArtifacts(service, runId);
  const now = useNow(active && state.run?.info.status === 'RUNNING', 1000);
  const backfill = useBackfill(services.store ?? null, service);
  const headingRef = React.useRef<HTMLHeadingElement>(null);

  React.useEffect(() => {
    headingRef.current?.focus();
  }, [runId]);

  // Converge the charts of a run logged elsewhere (no kernel stream): a
  // newer latest metric asks for a backfill of its key.
  const latest = React.useRef(new Map<string, string>());
  React.useEffect(() => {
    const run = state.run;
    if (!run || !backfill) {
      return;
    }
    for (const metric of run.data.metrics) {
      const stamp = `${metric.step}|${metric.timestamp}|${metric.value}`;
      const previous = latest.current.get(metric.key);
      latest.current.set(metric.key, stamp);
      if (previous !== undefined && previous !== stamp) {
        backfill.request(run.info.run_id, metric.key);
      }
    }
  }, [state.run, backfill]);

  const back = (
    <button
      type="button"
      className="jp-Button jp-mod-minimal jp-Trackside-DetailBack"
      onClick={() => model.showList()}
    >
      {trans.__('← Runs')}
    </button>
  );

  if (!state.run) {
    return (
      <section
        className="jp-Trackside-Detail"
        aria-label={trans.__('Run %1', runId)}
      >
        <div className="jp-Trackside-DetailBar">{back}</div>
        {state.error ? (
          <p className="jp-Trackside-DetailError" role="alert">
            {state.error}
          </p>
        ) : (
          <p className="jp-Trackside-Placeholder">{trans.__('Loading run…')}</p>
        )}
      </section>
    );
  }

  const run = state.run;
  const info = run.info;
  const name = Format.runName(info);
  const duration = Format.runDurationMs(info, now);
  // Keys MLflow holds, and keys already streaming live that it may not hold yet.
  const keys = Array.from(
    new Set([
      ...run.data.metrics.map(m => m.key),
      ...(services.store?.keys(info.run_id) ?? [])
    ])
  ).sort();
  const chartRuns = [{ runId: info.run_id, name, startTime: info.start_time }];

  return (
    <section
      className="jp-Trackside-Detail"
      aria-label={trans.__('Run %1', name)}
    >
      <div className="jp-Trackside-DetailBar">{back}</div>
      <header className="jp-Trackside-DetailHeader">
        <h3
          className="jp-Trackside-DetailName"
          tabIndex={-1}
          ref={headingRef}
          title={info.run_id}
        >
          {name}
        </h3>
        <span
          className={`jp-Trackside-RunStatus jp-mod-${info.status.toLowerCase()}${
            info.status === 'RUNNING' ? ' jp-mod-running' : ''
          }`}
        >
          {Format.runStatus(info.status, trans)}
        </span>
      </header>
      {state.error ? (
        <p className="jp-Trackside-DetailError" role="alert">
          {state.error}
        </p>
      ) : null}
      <dl className="jp-Trackside-DetailFacts">
        <dt>{trans.__('Run id')}</dt>
        <dd className="jp-Trackside-DetailMono">{info.run_id}</dd>
        {info.start_time !== null ? (
          <>
            <dt>{trans.__('Started')}</dt>
            <dd>{Format.dateTime(info.start_time)}</dd>
          </>
        ) : null}
        {info.end_time !== null && info.status !== 'RUNNING' ? (
          <>
            <dt>{trans.__('Ended')}</dt>
            <dd>{Format.dateTime(info.end_time)}</dd>
          </>
        ) : null}
        {duration !== null ? (
          <>
            <dt>{trans.__('Duration')}</dt>
            <dd>{Format.duration(duration, trans)}</dd>
          </>
        ) : null}
        {info.user_id ? (
          <>
            <dt>{trans.__('User')}</dt>
            <dd>{info.user_id}</dd>
          </>
        ) : null}
      </dl>

      <Provenance
        run={run}
        commands={services.commands ?? null}
        trans={trans}
      />

      <DetailSection title={trans.__('Metrics')} count={keys.length}>
        {keys.length === 0 ? (
          <p className="jp-Trackside-DetailEmpty">{trans.__('No metrics.')}</p>
        ) : (
          <>
            <KeyValueTable
              label={trans.__('Latest metrics of %1', name)}
              rows={[...run.data.metrics]
                .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
                .map(m => ({
                  key: m.key,
                  value: Format.metricValue(m.value),
                  title: trans.__('%1 at step %2', String(m.value), m.step)
                }))}
              trans={trans}
            />
            {services.store ? (
              <MetricChartGrid
                charts={keys.map(key => ({ key, runs: chartRuns }))}
                store={services.store}
                service={service}
                backfill={backfill}
                services={services}
                trans={trans}
              />
            ) : null}
          </>
        )}
      </DetailSection>

      <DetailSection
        title={trans.__('Parameters')}
        count={run.data.params.length}
      >
        {run.data.params.length === 0 ? (
          <p className="jp-Trackside-DetailEmpty">
            {trans.__('No parameters.')}
          </p>
        ) : (
          <KeyValueTable
            label={trans.__('Parameters of %1', name)}
            rows={[...run.data.params]
              .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
              .map(p => ({ key: p.key, value: p.value }))}
            trans={trans}
          />
        )}
      </DetailSection>

      <Tags tags={run.data.tags} name={name} trans={trans} />

      <DetailSection
        title={trans.__('Artifacts')}
        count={artifacts.list?.files.length ?? null}
      >
        <Artifacts state={artifacts} trans={trans} />
      </DetailSection>
    </section>
  );
}

/**
 * A namespace for `RunDetail` statics.
 */
export namespace RunDetail {
  /**
   * How often a running run is refreshed while the detail is shown (ms).
   */
  export const RUNNING_REFRESH = 5000;
}

/**
 * The run, fetched at once and refreshed while it runs and the panel is
 * visible.
 */
function useRun(
  service: ITracksideService,
  runId: string,
  active: boolean
): { run: IRun | null; error: string | null } {
  const [state, setState] = React.useState<{
    run: IRun | null;
    error: string | null;
  }>({ run: null, error: null });
  const status = state.run?.info.status;

  React.useEffect(() => {
    setState({ run: null, error: null });
  }, [runId]);

  React.useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const load = async () => {
      try {
        const run = await service.getRun(runId);
        if (!cancelled) {
          setState({ run, error: null });
          if (run.info.status === 'RUNNING' && active) {
            timer = setTimeout(() => void load(), RunDetail.RUNNING_REFRESH);
          }
        }
      } catch (reason) {
        if (!cancelled) {
          setState(previous => ({
            run: previous.run,
            error: reason instanceof Error ? reason.message : String(reason)
          }));
        }
      }
    };
    if (active || status === undefined) {
      void load();
    }
    return () => {
      cancelled = true;
      if (timer !== null) {
        clearTimeout(timer);
      }
    };
    // `status` restarts the refresh when the run starts or stops running.
  }, [service, runId, active, status === 'RUNNING']);

  return state;
}

/**
 * The artifacts state of a run.
 */
interface IArtifactsState {
  readonly list: IArtifactList | null;
  readonly error: string | null;
}

function useArtifacts(
  service: ITracksideService,
  runId: string
): IArtifactsState {
  const [state, setState] = React.useState<IArtifactsState>({
    list: null,
    error: null
  });
  React.useEffect(() => {
    let cancelled = false;
    setState({ list: null, error: null });
    service
      .listArtifacts(runId)
      .then(list => !cancelled && setState({ list, error: null }))
      .catch(
        reason =>
          !cancelled &&
          setState({
            list: null,
            error: reason instanceof Error ? reason.message : String(reason)
          })
      );
    return () => {
      cancelled = true;
    };
  }, [service, runId]);
  return state;
}

/**
 * A two-column table of keys and values.
 */
function KeyValueTable(props: {
  label: string;
  rows: ReadonlyArray<{ key: string; value: string; title?: string }>;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  return (
    <table className="jp-Trackside-DetailTable" aria-label={props.label}>
      <thead>
        <tr>
          <th scope="col">{trans.__('Key')}</th>
          <th scope="col">{trans.__('Value')}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map(row => (
          <tr key={row.key}>
            <th scope="row" title={row.key}>
              {row.key}
            </th>
            <td title={row.title ?? row.value}>{row.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The tags; MLflow's and Trackside's system tags behind a toggle.
 */
function Tags(props: {
  tags: ReadonlyArray<IRunTag>;
  name: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { tags, trans } = props;
  const [showSystem, setShowSystem] = React.useState(false);
  const user = tags.filter(tag => !isSystemTag(tag.key));
  const system = tags.filter(tag => isSystemTag(tag.key));
  const shown = showSystem ? [...user, ...system] : user;
  const toggle =
    system.length > 0 ? (
      <button
        type="button"
        className="jp-Button jp-mod-minimal jp-Trackside-DetailToggle"
        aria-pressed={showSystem}
        onClick={() => setShowSystem(!showSystem)}
      >
        {trans._n('Show %1 system tag', 'Show %1 system tags', system.length)}
      </button>
    ) : null;
  return (
    <DetailSection title={trans.__('Tags')} count={user.length} extra={toggle}>
      {shown.length === 0 ? (
        <p className="jp-Trackside-DetailEmpty">{trans.__('No tags.')}</p>
      ) : (
        <KeyValueTable
          label={trans.__('Tags of %1', props.name)}
          rows={[...shown]
            .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
            .map(tag => ({ key: tag.key, value: tag.value }))}
          trans={trans}
        />
      )}
    </DetailSection>
  );
}

/**
 * Whether a tag is set by MLflow or Trackside rather than the user.
 */
export function isSystemTag(key: string): boolean {
  return key.startsWith('mlflow.') || key.startsWith('trackside.');
}

/**
 * The artifacts of the run.
 */
function Artifacts(props: {
  state: IArtifactsState;
  trans: TranslationBundle;
}): JSX.Element {
  const { state, trans } = props;
  if (state.error) {
    return <p className="jp-Trackside-DetailError">{state.error}</p>;
  }
  if (!state.list) {
    return (
      <p className="jp-Trackside-Placeholder">
        {trans.__('Loading artifacts…')}
      </p>
    );
  }
  if (state.list.files.length === 0) {
    return (
      <p className="jp-Trackside-DetailEmpty">{trans.__('No artifacts.')}</p>
    );
  }
  return (
    <ul
      className="jp-Trackside-DetailArtifacts"
      aria-label={trans.__('Artifacts')}
    >
      {state.list.files.map(file => (
        <li key={file.path} title={file.path}>
          <span className="jp-Trackside-DetailArtifactPath">
            {file.is_dir ? `${file.path}/` : file.path}
          </span>
          {!file.is_dir && file.file_size !== null ? (
            <span className="jp-Trackside-DetailArtifactSize">
              {formatBytes(file.file_size)}
            </span>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/**
 * A byte count, e.g. `512 B`, `1.5 kB`, `3.2 MB`.
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) {
    return `${bytes} B`;
  }
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(3))} ${units[unit]}`;
}
