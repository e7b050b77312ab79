/** The shape every topic's method table has: member name → params validator. */
import type { Result } from '../../result';
import type { Validator } from '../validators';

/** The params a method takes (`undefined` for methods without). */
export type ParamsOf<F> = F extends (...args: infer A) => Promise<Result<unknown>>
  ? A extends [infer P]
    ? P
    : undefined
  : never;

/** One validator per member of a topic's API interface. */
export type MethodTable<Api> = { readonly [M in keyof Api]: Validator<ParamsOf<Api[M]>> };
