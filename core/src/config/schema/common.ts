import { Type } from '@sinclair/typebox';

/** Ids of sources, connections and data plans; a connection's id also names its directory under the storage dir. */
export const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' });
export const PositiveInt = Type.Integer({ minimum: 1 });
export const NonEmptyString = Type.String({ minLength: 1 });

/** Options of every section: an unknown key is a typo the operator should hear about. */
export const closed = { additionalProperties: false } as const;

// `enum` rather than TypeBox's anyOf of literals: ajv then reports one "must be one of …" line.
export const StringEnum = <const T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ enum: [...values] });

/** Any JSON object; its contents are checked elsewhere (connector settings, data plan documents). */
export const AnyObject = () => Type.Unsafe<Record<string, unknown>>({ type: 'object' });

/** Where a store is kept: the embedded SQLite files in the storage dir (default), or PostgreSQL, which routers share. */
export const SqliteOrPostgres = Type.Union([
  Type.Object({ type: Type.Literal('sqlite') }, closed),
  Type.Object(
    {
      type: Type.Literal('postgres'),
      /** A libpq connection URL, e.g. postgres://user@host:5432/db; `${ENV}` references keep a password out of the file. */
      url: Type.String({ minLength: 1 }),
      /** Schema the tables live in, so several deployments (and test runs) can share one server. */
      schema: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$' })),
    },
    closed,
  ),
]);
