// Lint rules beyond the type checker: chiefly no floating promises and no `any`.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'local/**', 'scripts/**', 'eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  { files: ['src/cli/**', 'test/**', 'bench/**'], rules: { 'no-console': 'off' } },
  // Plain JavaScript shipped as is in the image (docker/healthcheck.mjs): linted without type information.
  { files: ['docker/**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  // The status page's script runs in the browser, outside the TypeScript project: the untyped rules only.
  { files: ['static/**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['test/**'],
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
    },
  },
);
