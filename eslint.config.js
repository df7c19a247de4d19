// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      // tsc -b output (project references): declarations, not sources
      '**/.tsbuild/**',
      '**/target/**',
      '.stack/**',
      'coverage/**',
      'packages/schemas/src/generated.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        AbortSignal: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The SDK's example page: plain JavaScript run by a browser
    files: ['packages/client/example/**/*.js'],
    languageOptions: {
      globals: {
        document: 'readonly',
        URLSearchParams: 'readonly',
        localStorage: 'readonly',
        location: 'readonly',
        navigator: 'readonly',
        crypto: 'readonly',
        globalThis: 'readonly',
      },
    },
  },
  {
    // The public API's types, generated from the OpenAPI document (pnpm gen:client), are types only: imported any
    // other way (a side effect, a value, `export *`), the module would be loaded at run time for nothing.
    files: ['packages/client/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/generated/api', '**/generated/api.js'],
              allowTypeImports: true,
              message: 'The generated API types are types only: `import type { paths } from ...`.',
            },
          ],
        },
      ],
    },
  },
  {
    // The domain is pure (decide/evolve): it is handed state and returns decisions. IO belongs to the adapters
    // and the handlers that run use cases, and time comes in as a value, so the rules can be tested without a
    // server and replayed the same way every time.
    files: ['services/*/src/domain/**/*.ts', 'packages/*/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...['pg', 'ioredis', 'kafkajs', 'fastify', 'undici'].map((name) => ({
              name,
              message: 'The domain does no IO: load and write through a port the adapter implements.',
            })),
            ...['fs', 'fs/promises', 'net', 'http', 'https', 'timers', 'timers/promises'].flatMap((name) =>
              [name, `node:${name}`].map((path) => ({
                name: path,
                message: 'The domain does no IO and sets no timers: the handler does, and passes the result in.',
              })),
            ),
          ],
          patterns: [
            {
              group: ['**/adapters', '**/adapters/**', 'pg/*', 'ioredis/*', 'kafkajs/*', 'fastify/*', 'undici/*'],
              message: 'The domain does not depend on adapters: they depend on it (through ports).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval'].map((name) => ({
          name,
          message: "The domain sets no timers: time is an argument (nowMs), scheduling is the handler's.",
        })),
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[property.name=/^(setTimeout|setInterval|setImmediate)$/]',
          message: "The domain sets no timers (globalThis.setTimeout included): scheduling is the handler's.",
        },
      ],
    },
  },
);
