import { MimeModel } from '@jupyterlab/rendermime';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import {
  RUN_SUMMARY_MIMETYPE,
  RunSummaryRenderer
} from '../notebook/runSummaryRenderer';

const PROBE = '<img src=x onerror="window.__probed = true">';

describe('RunSummaryRenderer', () => {
  let commands: CommandRegistry;
  let opened: unknown[];

  beforeEach(() => {
    commands = new CommandRegistry();
    opened = [];
    commands.addCommand('trackside:open-panel', {
      execute: args => {
        opened.push(args);
      }
    });
  });

  async function render(data: Record<string, unknown>) {
    const renderer = new RunSummaryRenderer({
      commands,
      trans: nullTranslator.load('jupyterlab_trackside')
    });
    const model = new MimeModel({
      data: { [RUN_SUMMARY_MIMETYPE]: data as never }
    });
    await renderer.renderModel(model);
    return renderer;
  }

  it('shows the run, its params and metrics as text', async () => {
    const renderer = await render({
      run_id: 'abc',
      experiment_id: '3',
      run_name: PROBE,
      status: 'FINISHED',
      params: { [PROBE]: PROBE, alpha: 0.5 },
      metrics: { rmse: 0.125 }
    });
    const node = renderer.node;
    expect(node.querySelector('img')).toBeNull();
    expect(
      node.querySelector('.jp-Trackside-RunSummary-name')?.textContent
    ).toBe(PROBE);
    const cells = Array.from(node.querySelectorAll('th, td')).map(
      cell => cell.textContent
    );
    expect(cells).toEqual([PROBE, PROBE, 'alpha', '0.5', 'rmse', '0.125']);
    expect(node.textContent).toContain('FINISHED');
  });

  it('opens the run in the panel', async () => {
    const renderer = await render({ run_id: 'abc', experiment_id: '3' });
    const button = renderer.node.querySelector('button');
    expect(button?.textContent).toBe('Open in Trackside');
    button?.click();
    await Promise.resolve();
    expect(opened).toEqual([{ runId: 'abc', experimentId: '3' }]);
  });

  it('tolerates a malformed summary', async () => {
    const renderer = await render({ params: [1, 2], metrics: 'x' });
    expect(renderer.node.querySelector('button')).toBeNull();
    expect(renderer.node.textContent).toContain('UNKNOWN');
  });
});
