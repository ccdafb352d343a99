import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const COMPONENTS = ['crawler', 'kafka-monitor', 'redis-monitor', 'rest', 'testweb'];

/** A no-restricted-imports rule refusing relative imports of the named top folders of src/. */
function refuse(folders, why) {
  return {
    'no-restricted-imports': [
      'error',
      { patterns: [{ regex: `^\\.{1,2}/(.*/)?(${folders.join('|')})/`, message: why }] },
    ],
  };
}

function layers() {
  return [
    {
      files: ['src/core/**/*.ts'],
      rules: refuse(
        [...COMPONENTS, 'standalone', 'cli'],
        'src/core is the bottom layer: it imports no component and no CLI.',
      ),
    },
    ...COMPONENTS.map((component) => ({
      files: [`src/${component}/**/*.ts`],
      rules: refuse(
        [...COMPONENTS.filter((c) => c !== component), 'standalone', 'cli'],
        'A component imports only src/core: shared pieces move down into core; command registration lives in src/cli.',
      ),
    })),
    {
      files: ['src/standalone/**/*.ts', 'src/index.ts', 'src/settings.ts'],
      rules: refuse(
        ['cli'],
        'Only src/cli registers commands; the standalone mode and the package entry do not import it.',
      ),
    },
  ];
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-check/**',
      'node_modules/**',
      '.cache/**',
      '.services/**',
      'bin/**',
      'scripts/*.mjs',
      'src/rest/ui/static/**',
      // Deliberately unloadable: the loader's error for a module with a syntax error is tested with it.
      'test/fixtures/extensions/syntax-error.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // The layering rule (docs/architecture.md): the core imports no component, a component imports no other
  // component and no CLI, the standalone mode and the package entry import no CLI. Zero exceptions.
  ...layers(),
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  // User-style JavaScript modules (the documented examples, loader fixtures): plain Node ESM.
  {
    files: ['examples/**/*.mjs', 'test/fixtures/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
);
