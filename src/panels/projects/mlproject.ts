/**
 * Reading an MLproject's text in the browser with the rules of the
 * server's `trackside/projects/spec.py`, so that the view shows the same
 * errors, at the same lines, before anything is sent. The cases both must
 * agree on are `trackside/tests/data/mlproject_cases.json`.
 *
 * Longer than most files: it follows spec.py step by step (same order of
 * checks, same messages) so that the two can be read side by side.
 */
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { isMap, isScalar, LineCounter, Node, parseDocument } from 'yaml';
import {
  IProjectEntryPoint,
  IProjectEnvironment,
  IProjectError,
  IProjectParameter,
  IProjectSpec,
  PROJECT_PARAMETER_TYPES,
  ProjectParameterType
} from '../../tokens';
import { checkParameterValue } from './paramRules';

/**
 * The outcome of reading an MLproject's text: its spec, or the first error
 * with its 1-based line.
 */
export type MLprojectResult =
  | { readonly ok: true; readonly spec: IProjectSpec }
  | { readonly ok: false; readonly error: IProjectError };

/**
 * Read an MLproject's text. `defaultName` names a project without `name`
 * (the directory's name). The environment is the declared one (`none`
 * when none is; the server also looks for MLflow's default files).
 */
export function parseMLproject(
  text: string,
  defaultName: string,
  trans: TranslationBundle = nullTranslator.load('jupyterlab_trackside')
): MLprojectResult {
  try {
    return {
      ok: true,
      spec: new Private.Reader(text, trans).read(defaultName)
    };
  } catch (reason) {
    if (reason instanceof Private.SpecError) {
      const { message, line, field } = reason;
      return { ok: false, error: { message, line, field } };
    }
    throw reason;
  }
}

/**
 * `"MLproject line 7: …"` when the line is known, the message otherwise
 * (as the server's `str(ProjectError)`).
 */
export function formatProjectError(
  error: IProjectError,
  trans: TranslationBundle = nullTranslator.load('jupyterlab_trackside')
): string {
  return error.line === null
    ? error.message
    : trans.__('MLproject line %1: %2', error.line, error.message);
}

namespace Private {
  const TOP_LEVEL_FIELDS = [
    'name',
    'python_env',
    'conda_env',
    'docker_env',
    'entry_points'
  ];
  const ENVIRONMENT_FIELDS = ['python_env', 'conda_env', 'docker_env'];
  const ENTRY_POINT_FIELDS = ['parameters', 'command'];
  const PARAMETER_FIELDS = ['type', 'default'];
  // PyYAML's implicit null (YAML 1.1): the `yaml` package resolves more.
  const NULL = /^(?:~|null|Null|NULL|)$/;

  /**
   * An error found while reading, with its line and field.
   */
  export class SpecError extends Error {
    constructor(
      message: string,
      readonly line: number | null = null,
      readonly field: string | null = null
    ) {
      super(message);
    }
  }

  /**
   * A mapping's entry: its key, the key's line and the value node.
   */
  interface IEntry {
    key: string;
    line: number;
    node: Node | null;
  }

  /**
   * Reads one MLproject text; every step throws a `SpecError`.
   */
  export class Reader {
    constructor(text: string, trans: TranslationBundle) {
      this._source = text;
      this._trans = trans;
    }

    read(defaultName: string): IProjectSpec {
      const trans = this._trans;
      const doc = parseDocument(this._source, {
        lineCounter: this._lines,
        // Duplicates are refused below, naming the key.
        uniqueKeys: false
      });
      if (doc.errors.length > 0) {
        const error = doc.errors[0];
        const line = error.linePos?.[0].line ?? this._line(error.pos[0]);
        throw new SpecError(
          trans.__('invalid YAML: %1', yamlProblem(error.message)),
          Math.max(1, line)
        );
      }
      const root = doc.contents as Node | null;
      if (root === null || this._isNull(root)) {
        throw new SpecError(trans.__('the MLproject file is empty'));
      }
      const entries = this._fields(root, 'MLproject', this._nodeLine(root));
      this._refuseUnknown(entries, TOP_LEVEL_FIELDS, 'MLproject');
      const byKey = new Map(entries.map(entry => [entry.key, entry]));
      let name = defaultName;
      const nameEntry = byKey.get('name');
      if (nameEntry) {
        name =
          this._text(nameEntry.node, 'name', nameEntry.line, 'name') ||
          defaultName;
      }
      const environment = this._environment(entries);
      const points = byKey.get('entry_points');
      if (!points) {
        throw new SpecError(
          trans.__('the MLproject has no entry_points'),
          null,
          'entry_points'
        );
      }
      const entryPoints = this._fields(
        points.node,
        'entry_points',
        points.line
      ).map(entry => this._entryPoint(entry));
      if (entryPoints.length === 0) {
        throw new SpecError(
          trans.__('entry_points declares no entry point'),
          points.line,
          'entry_points'
        );
      }
      return { name, environment, entry_points: entryPoints };
    }

    private _environment(entries: IEntry[]): IProjectEnvironment {
      const trans = this._trans;
      const found = entries.filter(e => ENVIRONMENT_FIELDS.includes(e.key));
      if (found.length > 1) {
        throw new SpecError(
          trans.__(
            "a project has at most one environment field; '%1' comes after '%2'",
            found[1].key,
            found[0].key
          ),
          found[1].line,
          found[1].key
        );
      }
      if (found.length === 0) {
        return { kind: 'none', value: '' };
      }
      const { key, line, node } = found[0];
      if (key === 'docker_env') {
        const image = this._fields(node, key, line).find(
          e => e.key === 'image'
        );
        if (!image) {
          throw new SpecError(
            trans.__("docker_env needs an 'image'"),
            line,
            key
          );
        }
        return {
          kind: key,
          value: this._text(
            image.node,
            'docker_env.image',
            line,
            `${key}.image`
          )
        };
      }
      const value = this._text(
        node,
        trans.__('%1 (the environment file name)', key),
        line,
        key
      );
      if (!value) {
        throw new SpecError(trans.__('%1 names no file', key), line, key);
      }
      return { kind: key as 'python_env' | 'conda_env', value };
    }

    private _entryPoint({ key: name, line, node }: IEntry): IProjectEntryPoint {
      const trans = this._trans;
      const where = `entry_points.${name}`;
      const entries = this._fields(node, where, line);
      this._refuseUnknown(entries, ENTRY_POINT_FIELDS, where);
      const byKey = new Map(entries.map(entry => [entry.key, entry]));
      const parameters: IProjectParameter[] = [];
      const params = byKey.get('parameters');
      if (params && !this._isNull(params.node)) {
        for (const entry of this._fields(
          params.node,
          `${where}.parameters`,
          params.line
        )) {
          parameters.push(this._parameter(entry, `${where}.parameters`));
        }
      }
      const commandEntry = byKey.get('command');
      if (!commandEntry) {
        throw new SpecError(
          trans.__("entry point '%1' has no command", name),
          line,
          `${where}.command`
        );
      }
      const field = `${where}.command`;
      const command = this._text(
        commandEntry.node,
        trans.__("the command of '%1'", name),
        commandEntry.line,
        field
      );
      if (!command.trim()) {
        throw new SpecError(
          trans.__("entry point '%1' has an empty command", name),
          commandEntry.line,
          field
        );
      }
      this._checkPlaceholders(
        command,
        new Set(parameters.map(p => p.name)),
        commandEntry.line,
        field
      );
      return { name, command, parameters };
    }

    private _parameter(
      { key: name, line, node }: IEntry,
      where: string
    ): IProjectParameter {
      const trans = this._trans;
      const field = `${where}.${name}`;
      let typeNode: Node | null = node;
      let typeLine = line;
      let defaultValue: string | null = null;
      let defaultLine = line;
      if (node !== null && isMap(node)) {
        const entries = this._fields(node, field, line);
        this._refuseUnknown(entries, PARAMETER_FIELDS, field);
        const typeEntry = entries.find(e => e.key === 'type');
        typeNode = typeEntry?.node ?? null;
        typeLine = typeEntry?.line ?? line;
        const defaultEntry = entries.find(e => e.key === 'default');
        if (defaultEntry && !this._isNull(defaultEntry.node)) {
          defaultLine = defaultEntry.line;
          defaultValue = this._text(
            defaultEntry.node,
            trans.__("the default of '%1'", name),
            defaultLine,
            field
          );
        }
      }
      const type =
        typeNode === null && node !== null && isMap(node)
          ? 'string'
          : this._text(typeNode, trans.__('a type'), typeLine, field);
      if (!PROJECT_PARAMETER_TYPES.includes(type as ProjectParameterType)) {
        throw new SpecError(
          trans.__(
            "parameter '%1' has unknown type '%2' (known: %3)",
            name,
            type,
            PROJECT_PARAMETER_TYPES.join(', ')
          ),
          typeLine,
          field
        );
      }
      const parameterType = type as ProjectParameterType;
      if (defaultValue !== null) {
        const problem = checkParameterValue(parameterType, defaultValue, trans);
        if (problem) {
          throw new SpecError(
            trans.__(
              "the default of parameter '%1' (%2) %3",
              name,
              type,
              problem
            ),
            defaultLine,
            field
          );
        }
      }
      return { name, type: parameterType, default: defaultValue };
    }

    /**
     * MLflow fills the command with Python's `str.format`: every
     * `{field}` must name a parameter.
     */
    private _checkPlaceholders(
      command: string,
      names: Set<string>,
      line: number,
      field: string
    ): void {
      const trans = this._trans;
      const parsed = formatFields(command);
      if (typeof parsed === 'string') {
        throw new SpecError(
          trans.__('command has unbalanced braces (%1)', parsed),
          line,
          field
        );
      }
      for (const placeholder of parsed) {
        const root = /^[^.[]*/.exec(placeholder)![0];
        if (!names.has(root)) {
          throw new SpecError(
            trans.__(
              "command uses {%1} but the entry point declares no parameter '%2' (write {{ and }} for literal braces)",
              placeholder,
              root
            ),
            line,
            field
          );
        }
      }
    }

    /**
     * A mapping node's entries; duplicate keys refused.
     */
    private _fields(node: Node | null, where: string, line: number): IEntry[] {
      const trans = this._trans;
      if (node === null || !isMap(node)) {
        throw new SpecError(
          trans.__('%1 must be a mapping', where),
          line,
          where
        );
      }
      const seen = new Set<string>();
      const entries: IEntry[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const keyLine = keyNode ? this._nodeLine(keyNode) : line;
        if (keyNode === null || !isScalar(keyNode)) {
          throw new SpecError(
            trans.__('%1 has a key that is not a name', where),
            keyLine
          );
        }
        const key = this._scalarText(keyNode);
        if (seen.has(key)) {
          throw new SpecError(
            trans.__("duplicate field '%1' in %2", key, where),
            keyLine,
            key
          );
        }
        seen.add(key);
        entries.push({
          key,
          line: keyLine,
          node: (pair.value as Node) ?? null
        });
      }
      return entries;
    }

    private _refuseUnknown(
      entries: IEntry[],
      allowed: string[],
      where: string
    ): void {
      for (const { key, line } of entries) {
        if (!allowed.includes(key)) {
          throw new SpecError(
            this._trans.__(
              "unknown field '%1' in %2 (allowed: %3)",
              key,
              where,
              allowed.join(', ')
            ),
            line,
            where === 'MLproject' ? key : `${where}.${key}`
          );
        }
      }
    }

    /**
     * A scalar's text as PyYAML keeps it (`1e3` stays `"1e3"`); a mapping,
     * a list or a null is an error.
     */
    private _text(
      node: Node | null,
      what: string,
      line: number,
      field: string
    ): string {
      if (node === null || !isScalar(node) || this._isNull(node)) {
        throw new SpecError(
          this._trans.__('%1 must be a single value', what),
          line,
          field
        );
      }
      return this._scalarText(node);
    }

    private _scalarText(node: Node): string {
      if (!isScalar(node)) {
        return '';
      }
      return node.type === 'PLAIN'
        ? (node.source ?? String(node.value))
        : String(node.value);
    }

    /**
     * Whether PyYAML would read the node as null: absent, or a plain
     * scalar `~`, `null` or nothing, without an explicit tag.
     */
    private _isNull(node: Node | null): boolean {
      return (
        node === null ||
        (isScalar(node) &&
          node.type === 'PLAIN' &&
          (node.tag === undefined || node.tag === 'tag:yaml.org,2002:null') &&
          NULL.test(node.source ?? ''))
      );
    }

    private _nodeLine(node: Node): number {
      return this._line(node.range?.[0] ?? 0);
    }

    private _line(offset: number): number {
      return Math.max(1, this._lines.linePos(offset).line);
    }

    private readonly _source: string;
    private readonly _trans: TranslationBundle;
    private readonly _lines = new LineCounter();
  }

  /**
   * The problem of a `yaml` error without its position suffix.
   */
  export function yamlProblem(message: string): string {
    return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  }

  /**
   * The top-level replacement fields of a Python format string (what
   * `string.Formatter().parse` yields as field names), or why it is not
   * one.
   */
  export function formatFields(text: string): string[] | string {
    const fields: string[] = [];
    let i = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '}') {
        if (text[i + 1] !== '}') {
          return "Single '}' encountered in format string";
        }
        i += 2;
        continue;
      }
      if (c !== '{') {
        i += 1;
        continue;
      }
      if (text[i + 1] === '{') {
        i += 2;
        continue;
      }
      // A field: up to its matching brace (a format spec may nest them).
      let depth = 1;
      let j = i + 1;
      while (j < text.length && depth > 0) {
        if (text[j] === '{') {
          depth += 1;
        } else if (text[j] === '}') {
          depth -= 1;
        }
        j += 1;
      }
      if (depth > 0) {
        return "expected '}' before end of string";
      }
      const body = text.slice(i + 1, j - 1);
      fields.push(/^[^!:]*/.exec(body)![0]);
      i = j;
    }
    return fields;
  }
}
