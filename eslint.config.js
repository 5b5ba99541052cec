// Lint rules, including the layer rules: the engine and shared code never import Electron.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'renderer/dist/**', 'release/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // After typescript-eslint: .svelte and .svelte.ts files get svelte-eslint-parser and the Svelte rules.
  ...svelte.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The renderer is browser code with its own tsconfigs (DOM libs; Vite's config runs in Node).
    files: ['renderer/**/*.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: {
        project: ['./renderer/tsconfig.json', './renderer/tsconfig.node.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    // Components (and rune modules, .svelte.ts): svelte-eslint-parser hands <script lang="ts"> to
    // typescript-eslint's parser, type-aware through the renderer's tsconfig, which includes src/**/*.svelte.
    // No svelte.config.js: the Vite plugin runs with configFile: false and no preprocessors.
    files: ['renderer/**/*.svelte', 'renderer/**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: {
        parser: tseslint.parser,
        project: ['./renderer/tsconfig.json'],
        extraFileExtensions: ['.svelte'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The rule flags any Map built in a .svelte.ts export; mergeActivity's is a local scratch index, not state.
    files: ['renderer/src/lib/state.svelte.ts'],
    rules: { 'svelte/prefer-svelte-reactivity': 'off' },
  },
  {
    files: ['renderer/src/**/*.ts', 'renderer/src/**/*.svelte'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer reaches the app only through its transport.' }],
          patterns: [
            { group: ['node:*'], message: 'The renderer runs in a browser: no Node modules.' },
            {
              group: [
                '**/electron/engine/**',
                '**/electron/service/**',
                '**/electron/server/**',
                '**/electron/main/**',
              ],
              message: 'The renderer may import electron/shared only; calls go through the transport.',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'electron/engine/**/*.ts',
      'electron/shared/**/*.ts',
      'electron/cli/**/*.ts',
      'electron/server/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'Only electron/main and electron/preload may import Electron.' },
          ],
        },
      ],
    },
  },
  { files: ['**/*.js'], languageOptions: { globals: { ...globals.node } } },
  prettier,
  // Turns off the Svelte plugin's formatting rules, which Prettier (prettier-plugin-svelte) owns.
  ...svelte.configs.prettier,
);
