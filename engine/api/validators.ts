/**
 * Tiny runtime validators for the API's params (Playwright's `validator.ts` idea, much smaller).
 * A validator checks a value that crossed a wire and returns it typed, or an `api.bad-params` error
 * whose message names the path: "params.machines[2].port: expected an integer".
 * Messages describe what was expected, never the value received: params may hold passwords.
 */
import type { Result } from '../result';
import { err, ok } from '../result';

/** Checks `value` found at `path`; returns it typed, or an error naming the path. */
export type Validator<T> = (value: unknown, path?: string) => Result<T>;

const ROOT = 'params';

function bad(path: string, what: string): Result<never> {
  return err(
    'api.bad-params',
    `${path}: ${what}`,
    'The window sent a request the engine does not accept; reload the window. If it happens again, this is a bug in Quorate.',
  );
}

/** Any string of `min`..`max` characters (default 1..4096). */
export function string(opts: { min?: number; max?: number } = {}): Validator<string> {
  const min = opts.min ?? 1;
  const max = opts.max ?? 4096;
  return (value, path = ROOT) => {
    if (typeof value !== 'string') {
      return bad(path, 'expected a string');
    }
    if (value.length < min) {
      return bad(path, min === 1 ? 'must not be empty' : `expected at least ${min} characters`);
    }
    if (value.length > max) {
      return bad(path, `expected at most ${max} characters`);
    }
    return ok(value);
  };
}

/** A string matching `pattern`; `what` describes it for the message ("a cluster name"). */
export function pattern(re: RegExp, what: string, max = 255): Validator<string> {
  return (value, path = ROOT) => {
    if (typeof value !== 'string') {
      return bad(path, 'expected a string');
    }
    if (value.length > max || !re.test(value)) {
      return bad(path, `expected ${what}`);
    }
    return ok(value);
  };
}

/** An integer in `min`..`max`. */
export function integer(min: number, max: number): Validator<number> {
  return (value, path = ROOT) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      return bad(path, 'expected an integer');
    }
    if (value < min || value > max) {
      return bad(path, `expected an integer ${min}..${max}`);
    }
    return ok(value);
  };
}

export function boolean(): Validator<boolean> {
  return (value, path = ROOT) => (typeof value === 'boolean' ? ok(value) : bad(path, 'expected true or false'));
}

/** One of the given string literals. */
export function literal<const T extends string>(...values: readonly T[]): Validator<T> {
  return (value, path = ROOT) =>
    typeof value === 'string' && (values as readonly string[]).includes(value)
      ? ok(value as T)
      : bad(path, `expected ${values.map((v) => `"${v}"`).join(' or ')}`);
}

/** An array of `min`..`max` items, each checked by `item`; with `unique`, no two equal primitives. */
export function array<T>(
  item: Validator<T>,
  opts: { min?: number; max?: number; unique?: boolean } = {},
): Validator<T[]> {
  const min = opts.min ?? 0;
  const max = opts.max ?? 64;
  return (value, path = ROOT) => {
    if (!Array.isArray(value)) {
      return bad(path, 'expected a list');
    }
    if (value.length < min) {
      return bad(path, min === 1 ? 'expected at least one item' : `expected at least ${min} items`);
    }
    if (value.length > max) {
      return bad(path, `expected at most ${max} items`);
    }
    const out: T[] = [];
    for (let i = 0; i < value.length; i++) {
      const r = item(value[i], `${path}[${i}]`);
      if (!r.ok) {
        return r;
      }
      if (opts.unique && out.includes(r.value)) {
        return bad(`${path}[${i}]`, 'appears twice');
      }
      out.push(r.value);
    }
    return ok(out);
  };
}

type Shape = Record<string, Validator<unknown>>;
type Optional<V> = Validator<V> & { readonly optional: true };
type ShapeValue<S extends Shape> = {
  [K in keyof S as S[K] extends Optional<unknown> ? never : K]: S[K] extends Validator<infer V> ? V : never;
} & { [K in keyof S as S[K] extends Optional<unknown> ? K : never]?: S[K] extends Validator<infer V> ? V : never };

/** Marks a field of `object()` as optional: absent or `undefined` is accepted. */
export function optional<T>(v: Validator<T>): Optional<T> {
  return Object.assign((value: unknown, path?: string) => v(value, path), { optional: true as const });
}

/**
 * A plain object with exactly these fields: a missing required field or an unknown one is refused,
 * so a typo in the window fails loudly instead of being ignored.
 */
export function object<S extends Shape>(shape: S): Validator<ShapeValue<S>> {
  return (value, path = ROOT) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return bad(path, 'expected an object');
    }
    const input = value as Record<string, unknown>;
    for (const key of Object.keys(input)) {
      if (!Object.hasOwn(shape, key)) {
        return bad(`${path}.${key}`, 'is not a known field');
      }
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const field = Object.hasOwn(input, key) ? input[key] : undefined;
      if (field === undefined) {
        if ((check as Partial<Optional<unknown>>).optional) {
          continue;
        }
        return bad(`${path}.${key}`, 'is required');
      }
      const r = check(field, `${path}.${key}`);
      if (!r.ok) {
        return r;
      }
      out[key] = r.value;
    }
    return ok(out as ShapeValue<S>);
  };
}

/** A tagged union on `kind`: picks the variant's validator by the `kind` field. */
export function variant<V extends Record<string, Validator<unknown>>>(
  variants: V,
): Validator<V[keyof V] extends Validator<infer T> ? T : never> {
  const kinds = Object.keys(variants);
  return (value, path = ROOT) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return bad(path, 'expected an object');
    }
    const kind = (value as { kind?: unknown }).kind;
    if (typeof kind !== 'string' || !Object.hasOwn(variants, kind)) {
      return bad(`${path}.kind`, `expected ${kinds.map((k) => `"${k}"`).join(' or ')}`);
    }
    return variants[kind]!(value, path) as Result<never>;
  };
}

/** For methods that take nothing: accepts `undefined`, `null` or `{}` (JSON drops an undefined argument). */
export function none(): Validator<undefined> {
  return (value, path = ROOT) => {
    if (value === undefined || value === null) {
      return ok(undefined);
    }
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) {
      return ok(undefined);
    }
    return bad(path, 'expected no parameters');
  };
}
