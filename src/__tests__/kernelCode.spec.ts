import { execFileSync } from 'child_process';
import * as path from 'path';
import {
  experimentCode,
  logCellCode,
  notebookPathCode,
  quoteArgument,
  trackingCode
} from '../notebook/kernelCode';

const python =
  process.env.TRACKSIDE_PYTHON ??
  path.resolve(__dirname, '..', '..', '.venv', 'bin', 'python');

/**
 * Split a magic's argument string the way the kernel side does (shlex).
 */
function pythonSplit(line: string): string[] {
  const out = execFileSync(
    python,
    [
      '-c',
      'import json, shlex, sys; print(json.dumps(shlex.split(sys.stdin.read())))'
    ],
    { input: line }
  );
  return JSON.parse(out.toString());
}

/**
 * The argument string `code` passes to `run_line_magic('mlflow', ...)`,
 * read by Python's own parser, then split as the magic splits it.
 */
function magicArguments(code: string): string[] {
  const out = execFileSync(
    python,
    [
      '-c',
      [
        'import ast, json, shlex, sys',
        'tree = ast.parse(sys.stdin.read())',
        "call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, 'attr', '') == 'run_line_magic')",
        'print(json.dumps(shlex.split(call.args[1].value)))'
      ].join('\n')
    ],
    { input: code }
  );
  return JSON.parse(out.toString());
}

describe('kernel code', () => {
  it.each([
    'wine-quality',
    'my experiment',
    "it's quoted",
    'a "double" one',
    '--run-id x; import os',
    '$(rm -rf /) `x` \\n',
    'ünïcödé ✓'
  ])('quotes %s so that the magic receives it unchanged', name => {
    expect(pythonSplit(`experiment ${quoteArgument(name)}`)).toEqual([
      'experiment',
      name
    ]);
  });

  it('refuses line breaks, which would start another statement', () => {
    expect(() => quoteArgument('a\nimport os')).toThrow(/line break/);
    expect(() => experimentCode('x\r')).toThrow(/line break/);
  });

  it('loads the extension before turning tracking on', () => {
    expect(trackingCode(true, true).split('\n')).toEqual([
      '%load_ext trackside',
      '%mlflow track on',
      '%mlflow autolog on'
    ]);
    expect(trackingCode(true, false)).toContain('%mlflow autolog off');
  });

  it('turns tracking off only where the extension is loaded', () => {
    const code = trackingCode(false, true);
    expect(code).not.toContain('%load_ext');
    expect(code).toContain("run_line_magic('mlflow', 'track off')");
  });

  it.each([
    '/srv/root/analysis.ipynb',
    "/srv/root/it's mine/a b.ipynb",
    '/srv/root/"quoted"\\dir/ünï ✓.ipynb'
  ])('sends the notebook path %s unchanged, only where loaded', path => {
    const code = notebookPathCode(path);
    expect(code.split('\n')[0]).toBe(
      "if 'trackside' in get_ipython().extension_manager.loaded:"
    );
    expect(magicArguments(code)).toEqual(['notebook', path]);
  });

  it('wraps a cell in the cell magic', () => {
    expect(logCellCode('x = 1\nprint(x)')).toBe('%%mlflow\nx = 1\nprint(x)');
  });
});
