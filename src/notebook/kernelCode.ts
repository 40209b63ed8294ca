/**
 * The code Trackside runs in a notebook's kernel, built from user input.
 *
 * Every user-derived value is quoted for the magics' shell-like argument
 * parser, so a name cannot inject options or a second statement.
 */

/**
 * Quote one argument for `%mlflow` (parsed with Python's `shlex.split`).
 */
export function quoteArgument(value: string): string {
  if (/[\n\r\0]/.test(value)) {
    throw new Error('A magic argument cannot contain a line break.');
  }
  return `'${value.replace(/'/g, "'\"'\"'")}'`;
}

/**
 * Load Trackside in the kernel and turn tracking on (or off).
 */
export function trackingCode(tracked: boolean, autolog: boolean): string {
  if (!tracked) {
    return [
      "if 'trackside' in get_ipython().extension_manager.loaded:",
      "    get_ipython().run_line_magic('mlflow', 'track off')"
    ].join('\n');
  }
  const lines = ['%load_ext trackside', '%mlflow track on'];
  lines.push(`%mlflow autolog ${autolog ? 'on' : 'off'}`);
  return lines.join('\n');
}

/**
 * Tell Trackside the notebook's current path, which runs record as their
 * source: the kernel's environment keeps the path the notebook had when the
 * kernel started. Does nothing where Trackside is not loaded.
 */
export function notebookPathCode(path: string): string {
  // A JSON string is a valid Python string literal.
  const line = JSON.stringify(`notebook ${quoteArgument(path)}`);
  return [
    "if 'trackside' in get_ipython().extension_manager.loaded:",
    `    get_ipython().run_line_magic('mlflow', ${line})`
  ].join('\n');
}

/**
 * Set the active experiment (created if it does not exist).
 */
export function experimentCode(name: string): string {
  return `%load_ext trackside\n%mlflow experiment ${quoteArgument(name)}`;
}

/**
 * Run a cell's source inside an MLflow run.
 */
export function logCellCode(source: string): string {
  return `%%mlflow\n${source}`;
}

/**
 * Ask the kernel which run to open (answers with the open mimetype).
 */
export const OPEN_RUN_CODE = '%load_ext trackside\n%mlflow open';

/**
 * The mimetype of the kernel's "open this run" message.
 */
export const OPEN_RUN_MIMETYPE = 'application/vnd.trackside.open+json';
