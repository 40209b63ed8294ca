import { Sanitizer } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { ExecutionOutput } from '../panels/projects/output';
import { ExecutionOutputView } from '../panels/projects/outputView';
import { ProjectView } from '../panels/projects/view';
import { waitFor } from './fakeServer';
import {
  execution,
  FakeProjectsClient,
  FakeSource
} from './projectsFakeClient';

const XSS = '<img src=x onerror=alert(1)>';

const TEXT = `name: house-prices
entry_points:
  main:
    parameters:
      n_estimators: {type: int, default: 100}
    command: python train.py {n_estimators}
`;

/**
 * Set a React-controlled field's value as a user typing would.
 */
function type(field: HTMLInputElement, text: string) {
  Object.getOwnPropertyDescriptor(
    HTMLInputElement.prototype,
    'value'
  )!.set!.call(field, text);
  field.dispatchEvent(new Event('input', { bubbles: true }));
}

function buttonNamed(root: HTMLElement, name: string): HTMLButtonElement {
  const found = Array.from(root.querySelectorAll('button')).find(
    b => (b.getAttribute('aria-label') ?? b.textContent) === name
  );
  if (!found) {
    throw new Error(`No button ${name}`);
  }
  return found;
}

describe('ExecutionOutputView', () => {
  let client: FakeProjectsClient;
  let output: ExecutionOutput;
  let view: ExecutionOutputView;

  beforeEach(() => {
    client = new FakeProjectsClient();
    output = new ExecutionOutput({ client, id: 'e1' });
  });

  afterEach(() => {
    view?.dispose();
    output.dispose();
  });

  const answer = async (text: string, offset: number, done = false) => {
    await waitFor(() => client.outputRequests.length > 0);
    client.outputRequests.shift()!.resolve({
      output: text,
      offset,
      start: 0,
      done
    });
  };

  it('renders ANSI colours as spans and markup as text', async () => {
    view = new ExecutionOutputView({ output, sanitizer: new Sanitizer() });
    Widget.attach(view, document.body);
    await answer(`\x1b[31mred\x1b[0m plain\n${XSS}\n`, 40);
    await waitFor(() => view.text.includes('plain'));
    const red = Array.from(view.node.querySelectorAll('span')).find(
      span => span.textContent === 'red'
    );
    expect(red?.className).toContain('ansi-red');
    expect(view.node.querySelector('img')).toBeNull();
    expect(view.text).toContain(XSS);
    expect(view.text).not.toContain('\x1b');
    expect(view.node.getAttribute('role')).toBe('log');
  });

  it('shows what was read before it was created, then what follows', async () => {
    await answer('first\n', 6);
    await waitFor(() => output.text === 'first\n');
    view = new ExecutionOutputView({ output, sanitizer: new Sanitizer() });
    await answer('second\n', 13);
    await waitFor(() => view.text === 'first\nsecond\n');
  });

  it('keeps a bounded number of characters and says earlier output dropped', async () => {
    view = new ExecutionOutputView({
      output,
      sanitizer: new Sanitizer(),
      maxChars: 12
    });
    const notice = view.node.querySelector(
      '.jp-Trackside-ProjectOutputDropped'
    ) as HTMLElement;
    expect(notice.hidden).toBe(true);
    await answer('aaaaaaaaa\n', 10);
    await answer('bbbbbbbbb\n', 20);
    await waitFor(() => view.text.includes('bbb'));
    expect(view.text).toBe('bbbbbbbbb\n');
    expect(notice.hidden).toBe(false);
    expect(notice.textContent).toBe('Earlier output dropped');
  });
});

describe('ProjectView', () => {
  let client: FakeProjectsClient;
  let source: FakeSource;
  let view: ProjectView;
  let edits: (number | null)[];
  let opened: string[];

  beforeEach(() => {
    client = new FakeProjectsClient();
    source = new FakeSource(TEXT);
    edits = [];
    opened = [];
    view = new ProjectView({
      model: { client, source, path: 'proj/MLproject' },
      translator: nullTranslator,
      sanitizer: new Sanitizer(),
      editAsText: line => edits.push(line),
      openRun: runId => opened.push(runId)
    });
    Widget.attach(view, document.body);
  });

  afterEach(() => view.dispose());

  const field = () =>
    view.node.querySelector<HTMLInputElement>('input[inputmode="numeric"]')!;

  it('shows the project, the typed field and the command', async () => {
    await waitFor(() => field() !== null);
    expect(view.node.querySelector('h2')?.textContent).toBe('house-prices');
    expect(field().value).toBe('100');
    expect(view.node.textContent).toContain(
      'mlflow run . -e main -P n_estimators=100 --env-manager local --experiment-name house-prices'
    );
    expect(buttonNamed(view.node, 'Run').disabled).toBe(false);
  });

  it('shows an invalid value inline and disables Run', async () => {
    await waitFor(() => field() !== null);
    type(field(), '12x');
    await waitFor(() => view.node.querySelector('[role="alert"]') !== null);
    expect(view.node.querySelector('[role="alert"]')?.textContent).toBe(
      'n_estimators must be an integer, e.g. 100'
    );
    expect(field().getAttribute('aria-invalid')).toBe('true');
    expect(buttonNamed(view.node, 'Run').disabled).toBe(true);
  });

  it('shows an error of the text with its line and opens the editor there', async () => {
    source.set(TEXT.replace('type: int', 'type: integer'));
    await waitFor(() => view.node.textContent!.includes('MLproject line 5'));
    buttonNamed(view.node, 'Open the editor at line 5').click();
    buttonNamed(view.node, 'Edit as text').click();
    expect(edits).toEqual([5, null]);
  });

  it('runs, lists the execution with its run link and Stop', async () => {
    await waitFor(() => field() !== null);
    const started = execution({ path: 'proj', run_id: 'f'.repeat(32) });
    client.startAnswer = started;
    client.list = [started];
    buttonNamed(view.node, 'Run').click();
    await waitFor(() => view.node.querySelector('table') !== null);
    expect(client.started[0].parameters).toEqual({ n_estimators: '100' });
    buttonNamed(view.node, `Open run ${'f'.repeat(32)} in Trackside`).click();
    expect(opened).toEqual(['f'.repeat(32)]);
    buttonNamed(view.node, 'Stop main').click();
    await waitFor(() => client.stopped.length === 1);
  });
});
