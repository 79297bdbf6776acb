import { Type, type Static } from '@switchyard/sdk-kit';

export const settings = Type.Object(
  {
    connectionString: Type.Optional(
      Type.String({
        secret: true,
        minLength: 1,
        description: 'postgres://user:password@host:5432/db; used instead of host/port/user/password/database.',
      }),
    ),
    host: Type.Optional(Type.String({ minLength: 1, description: 'Server host name or IP.' })),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 5432 }),
    user: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String({ secret: true })),
    database: Type.Optional(Type.String({ minLength: 1 })),
    ssl: Type.Boolean({ default: false, description: 'Connect over TLS, verifying the server certificate.' }),
    schema: Type.String({
      pattern: '^[a-z_][a-z0-9_]{0,62}$',
      default: 'switchyard',
      description: 'Schema the tables are created in (created if missing).',
    }),
  },
  {
    additionalProperties: false,
    anyOf: [{ required: ['connectionString'] }, { required: ['host'] }],
  },
);

export type PostgresSettings = Static<typeof settings>;
