/**
 * How a file is previewed, chosen by its name. Anything not known to be
 * safe to show (HTML, SVG, binaries, unknown types) is only downloadable.
 */

/**
 * The preview of a file.
 */
export type PreviewKind =
  | {
      readonly kind: 'text';
      /**
       * The highlighting language's name (`python`, `yaml`…), `null` for
       * plain text.
       */
      readonly language: string | null;
    }
  | { readonly kind: 'image' }
  | { readonly kind: 'table' }
  | { readonly kind: 'notebook' }
  | { readonly kind: 'download' };

/**
 * The languages of text files by exact file name.
 */
const TEXT_NAMES: Record<string, string | null> = {
  MLmodel: 'yaml',
  'requirements.txt': null,
  'conda.yaml': 'yaml',
  'python_env.yaml': 'yaml',
  Dockerfile: 'dockerfile',
  MLproject: 'yaml'
};

/**
 * The languages of text files by extension.
 */
const TEXT_EXTENSIONS: Record<string, string | null> = {
  '.txt': null,
  '.log': null,
  '.py': 'python',
  '.md': 'markdown',
  '.json': 'json',
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.toml': 'toml',
  '.cfg': 'properties',
  '.ini': 'properties',
  '.sh': 'shell',
  '.sql': 'sql',
  '.r': 'r',
  '.R': 'r'
};

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
const TABLE_EXTENSIONS = ['.csv', '.tsv', '.parquet'];

/**
 * The preview of the file at `path`.
 */
export function previewKind(path: string): PreviewKind {
  const name = path.split('/').pop() ?? path;
  if (name in TEXT_NAMES) {
    return { kind: 'text', language: TEXT_NAMES[name] };
  }
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot) : '';
  if (extension in TEXT_EXTENSIONS) {
    return { kind: 'text', language: TEXT_EXTENSIONS[extension] };
  }
  const lower = extension.toLowerCase();
  if (lower in TEXT_EXTENSIONS) {
    return { kind: 'text', language: TEXT_EXTENSIONS[lower] };
  }
  if (IMAGE_EXTENSIONS.includes(lower)) {
    return { kind: 'image' };
  }
  if (TABLE_EXTENSIONS.includes(lower)) {
    return { kind: 'table' };
  }
  if (lower === '.ipynb') {
    return { kind: 'notebook' };
  }
  return { kind: 'download' };
}
