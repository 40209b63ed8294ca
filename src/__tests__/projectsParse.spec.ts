import { displayCommand, shellQuote } from '../panels/projects/commandLine';
import {
  formatProjectError,
  parseMLproject
} from '../panels/projects/mlproject';
import {
  checkParameters,
  checkParameterValue
} from '../panels/projects/paramRules';
import { IProjectParameter } from '../tokens';

const PROJECT = `name: house-prices
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      n_estimators: {type: int, default: 100}
      min_samples_split: {type: float, default: 1e-3}
      data_dir: {type: path, default: data}
      label: {type: string, default: "it's on"}
      enabled: {type: string, default: yes}
    command: python train.py {n_estimators} {min_samples_split} {data_dir}
  search:
    command: python search.py
`;

describe('parseMLproject', () => {
  it('reads the spec the server returns, defaults as their source text', () => {
    const result = parseMLproject(PROJECT, 'dir');
    expect(result).toEqual({
      ok: true,
      spec: {
        name: 'house-prices',
        environment: { kind: 'python_env', value: 'python_env.yaml' },
        entry_points: [
          {
            name: 'main',
            command:
              'python train.py {n_estimators} {min_samples_split} {data_dir}',
            parameters: [
              { name: 'n_estimators', type: 'int', default: '100' },
              { name: 'min_samples_split', type: 'float', default: '1e-3' },
              { name: 'data_dir', type: 'path', default: 'data' },
              { name: 'label', type: 'string', default: "it's on" },
              // PyYAML would read `yes` as True: the text is kept as is.
              { name: 'enabled', type: 'string', default: 'yes' }
            ]
          },
          { name: 'search', command: 'python search.py', parameters: [] }
        ]
      }
    });
  });

  it('names a project without a name after its directory', () => {
    const result = parseMLproject(
      'entry_points:\n  main:\n    command: python a.py\n',
      '1-MLproject'
    );
    expect(result.ok && result.spec.name).toBe('1-MLproject');
  });

  it('gives the line of an unknown parameter type and the field', () => {
    const text = PROJECT.replace('{type: path, default: data}', 'folder');
    const result = parseMLproject(text, 'dir');
    expect(result).toEqual({
      ok: false,
      error: {
        message: expect.stringContaining("unknown type 'folder'"),
        line: 8,
        field: 'entry_points.main.parameters.data_dir'
      }
    });
  });

  it('refuses a format field that is not closed', () => {
    const text =
      'entry_points:\n  main:\n    parameters: {a: int}\n    command: python {a\n';
    const result = parseMLproject(text, 'dir');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.message).toContain('unbalanced braces');
    expect(!result.ok && result.error.line).toBe(4);
  });

  it('accepts attribute and index forms of a declared parameter', () => {
    const text =
      'entry_points:\n  main:\n    parameters: {a: string}\n    command: echo {a.real} {a[0]} {a!r:>10}\n';
    expect(parseMLproject(text, 'dir').ok).toBe(true);
  });

  it('formats an error as the server does', () => {
    expect(formatProjectError({ message: 'bad', line: 7 })).toBe(
      'MLproject line 7: bad'
    );
    expect(formatProjectError({ message: 'bad', line: null })).toBe('bad');
  });
});

describe('paramRules', () => {
  const parameters: IProjectParameter[] = [
    { name: 'n', type: 'int', default: '3' },
    { name: 'alpha', type: 'float', default: null },
    { name: 'src', type: 'uri', default: null }
  ];

  it('lists every invalid value by name', () => {
    expect(
      checkParameters(parameters, { n: '3.5', alpha: '', src: 's3://b/k' })
    ).toEqual({
      n: 'must be an integer, e.g. 100',
      alpha: 'is empty'
    });
  });

  it('translates its messages', () => {
    const trans = {
      __: (text: string) => `[${text}]`
    } as unknown as Parameters<typeof checkParameterValue>[2];
    expect(checkParameterValue('float', 'nan', trans)).toBe(
      '[must be a finite number, e.g. 0.5 or 1e-3]'
    );
  });
});

describe('displayCommand', () => {
  it("quotes every word as Python's shlex.join does", () => {
    // The expected line is Python's own shlex.join output for these words.
    expect(
      displayCommand({
        entryPoint: 'main',
        parameters: [
          { name: 'n_estimators', type: 'int', default: '100' },
          { name: 'label', type: 'string', default: null },
          { name: 'q', type: 'string', default: null },
          { name: 'e', type: 'string', default: null }
        ],
        values: {
          n_estimators: '50',
          label: 'baseline run',
          q: "it's $(x)",
          e: ''
        },
        envManager: 'local',
        experimentName: 'house prices'
      })
    ).toBe(
      `mlflow run . -e main -P n_estimators=50 -P 'label=baseline run' -P 'q=it'"'"'s $(x)' -P e= --env-manager local --experiment-name 'house prices'`
    );
  });

  it('fills defaults and leaves out an empty experiment', () => {
    expect(
      displayCommand({
        entryPoint: 'search',
        parameters: [{ name: 'max_runs', type: 'int', default: '4' }],
        values: {},
        envManager: 'uv',
        experimentName: ''
      })
    ).toBe('mlflow run . -e search -P max_runs=4 --env-manager uv');
  });

  it('keeps safe words bare and quotes the rest', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a@b%c+d=e:f,g./h-i_j')).toBe('a@b%c+d=e:f,g./h-i_j');
    expect(shellQuote('é')).toBe("'é'");
  });
});
