/** The same keys as `T`, every leaf a string: a translation of `T`. */
export type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };
