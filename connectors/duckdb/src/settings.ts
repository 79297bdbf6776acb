import { Type, type Static } from '@switchyard/sdk-kit';

export const settings = Type.Object(
  {
    path: Type.Optional(
      Type.String({
        minLength: 1,
        description: "The warehouse file; relative paths are inside this connection's data directory (default: its `warehouse.duckdb`).",
      }),
    ),
    schema: Type.String({
      pattern: '^[a-z_][a-z0-9_]{0,62}$',
      default: 'main',
      description: 'Schema the tables are created in; `main` lets queries name tables without a prefix.',
    }),
  },
  { additionalProperties: false },
);

export type DuckDbSettings = Static<typeof settings>;
