/**
 * MLflow model signatures: MLflow stores each part of a signature in the
 * `MLmodel` file as a JSON string (`signature.inputs`, `.outputs`,
 * `.params`). Parsing turns them into fields the view renders as text.
 */

/**
 * One input or output of a signature: a column (name, type, required) or a
 * tensor (dtype and shape).
 */
export interface ISignatureField {
  readonly kind: 'column' | 'tensor';
  /**
   * The name; `null` for an unnamed column or tensor.
   */
  readonly name: string | null;
  /**
   * The type as text: `double`, `array<string>`, `object{a: long}`, or a
   * tensor's dtype (`float64`).
   */
  readonly type: string;
  readonly required: boolean;
  /**
   * A tensor's shape (`-1` is any size); `null` for a column.
   */
  readonly shape: ReadonlyArray<number> | null;
}

/**
 * One inference parameter of a signature.
 */
export interface ISignatureParam {
  readonly name: string;
  readonly type: string;
  /**
   * The default value as JSON text.
   */
  readonly default: string;
  readonly shape: ReadonlyArray<number> | null;
}

/**
 * A parsed signature; a missing part is `null`.
 */
export interface ISignature {
  readonly inputs: ReadonlyArray<ISignatureField> | null;
  readonly outputs: ReadonlyArray<ISignatureField> | null;
  readonly params: ReadonlyArray<ISignatureParam> | null;
}

/**
 * Parse the `signature` mapping of an `MLmodel` file; `null` when the model
 * has no signature. Throws an `Error` naming the part that is not valid.
 */
export function parseSignature(value: unknown): ISignature | null {
  if (!isRecord(value)) {
    return null;
  }
  const part = <T>(key: string, parse: (item: unknown) => T): T[] | null => {
    const raw = value[key];
    if (raw === null || raw === undefined || raw === '') {
      return null;
    }
    let list: unknown;
    try {
      list = typeof raw === 'string' ? JSON.parse(raw) : raw;
    } catch {
      throw new Error(`The signature's ${key} are not valid JSON.`);
    }
    if (!Array.isArray(list)) {
      throw new Error(`The signature's ${key} are not a list.`);
    }
    return list.map(parse);
  };
  const signature = {
    inputs: part('inputs', parseField),
    outputs: part('outputs', parseField),
    params: part('params', parseParam)
  };
  if (!signature.inputs && !signature.outputs && !signature.params) {
    return null;
  }
  return signature;
}

/**
 * Parse one column or tensor spec.
 */
export function parseField(value: unknown): ISignatureField {
  const raw = isRecord(value) ? value : {};
  const name = typeof raw.name === 'string' ? raw.name : null;
  const required = raw.required !== false;
  if (raw.type === 'tensor') {
    const spec = isRecord(raw['tensor-spec']) ? raw['tensor-spec'] : {};
    return {
      kind: 'tensor',
      name,
      type: typeof spec.dtype === 'string' ? spec.dtype : '',
      required,
      shape: shapeOf(spec.shape)
    };
  }
  return { kind: 'column', name, type: typeText(raw), required, shape: null };
}

function parseParam(value: unknown): ISignatureParam {
  const raw = isRecord(value) ? value : {};
  return {
    name: typeof raw.name === 'string' ? raw.name : '',
    type: typeof raw.type === 'string' ? raw.type : '',
    default: JSON.stringify(raw.default ?? null),
    shape: shapeOf(raw.shape)
  };
}

/**
 * The text of a column type, with array items, object properties and map
 * values spelled out: `array<double>`, `object{a: long, b?: string}`,
 * `map<string, double>`.
 */
export function typeText(spec: unknown): string {
  if (typeof spec === 'string') {
    return spec;
  }
  if (!isRecord(spec)) {
    return '';
  }
  switch (spec.type) {
    case 'array':
      return `array<${typeText(spec.items)}>`;
    case 'map':
      return `map<string, ${typeText(spec.values)}>`;
    case 'object': {
      const properties = isRecord(spec.properties) ? spec.properties : {};
      const inner = Object.entries(properties).map(([key, property]) => {
        const optional = isRecord(property) && property.required === false;
        return `${key}${optional ? '?' : ''}: ${typeText(property)}`;
      });
      return `object{${inner.join(', ')}}`;
    }
    default:
      return typeof spec.type === 'string' ? spec.type : '';
  }
}

/**
 * A shape as text, e.g. `(-1, 28, 28)`; `()` for a scalar.
 */
export function shapeText(shape: ReadonlyArray<number>): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

function shapeOf(value: unknown): number[] | null {
  if (!Array.isArray(value)) {
    return null;
  }
  return value.map(size => (typeof size === 'number' ? size : -1));
}

/**
 * Whether a value is a plain JSON object.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
