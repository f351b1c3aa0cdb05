// Lint for the whole tree. Folder rules keep the dependency direction of STYLE.md:
// only the Electron shell imports electron; agent/ never does; renderer/ never reaches Node code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const noElectron = {
  name: 'electron',
  message: 'Only the Electron shell under main/shell/ may import electron.',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'out/',
      '.tools/',
      '.data/',
      'main/apiserver/openapi/generated/',
      'renderer/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-imports': ['error', { paths: [noElectron] }],
    },
  },
  {
    files: ['main/shell/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Runtime-free code: protocol logic that the renderer may share.
    files: [
      'main/apiserver/patch/**',
      'main/apiserver/selectors/**',
      'main/apiserver/printers/**',
      'main/api/**',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            { group: ['node:*'], message: 'Runtime-free code must not import Node modules.' },
          ],
        },
      ],
    },
  },
  {
    files: ['agent/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'agent/ never imports electron.' }],
          patterns: [
            {
              group: ['**/main/shell/**'],
              message: 'agent/ must not depend on the Electron shell.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // Scripts that run inside test pods (plain Node, CommonJS).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
