import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NO_ELECTRON = { name: 'electron', message: 'Only electron/ may import electron.' };

/** Module boundaries (docs/ARCHITECTURE.md §1): what each layer must not import. */
function layer(files, forbidden, extra = [], { electron = false } = {}) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: electron ? [] : [NO_ELECTRON],
          patterns: [
            ...forbidden.map((dir) => ({
              // The top-level directory, reached by climbing out of this one.
              group: [1, 2, 3, 4].flatMap((up) => [
                `${'../'.repeat(up)}${dir}`,
                `${'../'.repeat(up)}${dir}/**`,
              ]),
              message: `${files[0].split('/')[0]}/ must not import ${dir}/ (see docs/ARCHITECTURE.md).`,
            })),
            ...extra,
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'data/**',
      '.stryker-tmp/**',
      'reports/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Only electron/ may import electron.' }] },
      ],
    },
  },
  layer(
    ['protocol/**/*.ts'],
    ['server', 'client', 'renderer', 'electron', 'desktop', 'test', 'bench'],
  ),
  layer(
    ['client/**/*.ts'],
    ['server', 'renderer', 'electron', 'desktop', 'test', 'bench'],
    [{ group: ['node:*'], message: 'client/ runs in browsers: no Node-only modules.' }],
  ),
  layer(['server/**/*.ts'], ['client', 'renderer', 'electron', 'desktop', 'test', 'bench']),
  layer(
    ['renderer/**/*.ts', 'renderer/**/*.vue'],
    ['server', 'electron', 'test', 'bench'],
    [
      {
        // Top-level desktop/ (renderer/src/desktop/, one level up, is the renderer's own).
        group: [2, 3, 4].flatMap((up) => [
          `${'../'.repeat(up)}desktop`,
          `${'../'.repeat(up)}desktop/**`,
        ]),
        message: 'renderer/ must not import desktop/ (see docs/ARCHITECTURE.md).',
      },
    ],
  ),
  // desktop/: the Node-only logic of the desktop app, testable without Electron.
  layer(['desktop/**/*.ts'], ['client', 'renderer', 'electron', 'test', 'bench']),
  // electron/: windows, protocol, IPC, tray; its logic comes from desktop/.
  layer(['electron/**/*.ts'], ['client', 'renderer', 'server', 'test', 'bench'], [], {
    electron: true,
  }),
  {
    files: ['test/e2e/electron/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  prettier,
);
