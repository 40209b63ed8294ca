import { IProjectParameter } from '../../tokens';

/**
 * The environment managers `mlflow run` accepts, `local` first (the
 * default: the Jupyter server's own environment).
 */
export const ENV_MANAGERS: ReadonlyArray<string> = [
  'local',
  'virtualenv',
  'uv',
  'conda'
];

/**
 * The command a run executes, as the server's `display_command` shows it:
 * `mlflow run . -e ENTRY -P k=v … --env-manager M [--experiment-name N]`,
 * every word quoted as Python's `shlex.join` quotes it. The project is `.`:
 * the server runs it with the project directory as working directory.
 *
 * Parameters come in their declared order, defaults filled, as the
 * server's checked parameters do.
 */
export function displayCommand(options: {
  entryPoint: string;
  parameters: ReadonlyArray<IProjectParameter>;
  values: Readonly<Record<string, string>>;
  envManager: string;
  experimentName: string;
}): string {
  const argv = ['mlflow', 'run', '.', '-e', options.entryPoint];
  for (const parameter of options.parameters) {
    const value = options.values[parameter.name] ?? parameter.default ?? '';
    argv.push('-P', `${parameter.name}=${value}`);
  }
  argv.push('--env-manager', options.envManager);
  if (options.experimentName) {
    argv.push('--experiment-name', options.experimentName);
  }
  return argv.map(shellQuote).join(' ');
}

/**
 * Python's `shlex.quote`: a word of safe characters as it is, anything else
 * in single quotes (a single quote written `'"'"'`).
 */
export function shellQuote(word: string): string {
  if (word === '') {
    return "''";
  }
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) {
    return word;
  }
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}
