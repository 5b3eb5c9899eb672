// Lint rules kept modest on purpose: they pass on the whole tree without reformatting it. The
// architectural rules: only src/runtimes/ imports an engine (tfjs, LiteRT, ONNX Runtime). src/keras/
// builds tfjs-layers models, and takes `tf` from src/runtimes/tfjs/ (the engine module that also
// chooses the backend), like every other module, test and script. Type-only imports
// (`import type * as tf`) are allowed everywhere: they load no engine. And the float IR
// (src/tflite/ir) sits below lowering and quantization, which must not import back up.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ENGINES = ['@tensorflow/*', '@litertjs/*', 'onnxruntime-node', 'onnxruntime-common'];
const ENGINE_MESSAGE = 'Only src/runtimes/ may load an engine: run models through a Runner (src/runtimes/runner.ts); build tfjs layers with `tf` from src/runtimes/tfjs/index.ts.';
const ENGINE_PATTERN = { group: ENGINES, allowTypeImports: true, message: ENGINE_MESSAGE };

export default tseslint.config(
  { ignores: ['node_modules/**', 'reports/**', 'golden/**', 'dist/**', '.venv*/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // report/junit.ts strips the control characters XML cannot hold, on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests poke at parsed JSON and write binary fixtures byte by byte (u32(a), u16(b), ...).
    files: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-unused-expressions': 'off' },
  },
  {
    files: ['bin/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['src/**/*.ts', 'scripts/**/*.ts'],
    ignores: ['src/runtimes/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [ENGINE_PATTERN] }],
      'no-restricted-syntax': [
        'error',
        ...ENGINES.map((engine) => ({
          selector: `ImportExpression[source.value=/^${engine.replace('/*', '\\/').replace(/[-.]/g, '\\$&')}/]`,
          message: ENGINE_MESSAGE,
        })),
      ],
    },
  },
  {
    // The float IR is shared by lowering and quantization; quantization must not reach back into lowering.
    files: ['src/tflite/ir/**/*.ts', 'src/tflite/quantize/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [ENGINE_PATTERN, { group: ['**/lower/**', '**/lower'], message: 'src/tflite/ir and src/tflite/quantize sit below src/tflite/lower: share what both need through src/tflite/ir.' }],
        },
      ],
    },
  },
  {
    // The golden format sits below convert/ and harness/ (both read goldens; it reads neither).
    files: ['src/golden/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ENGINE_PATTERN,
            { group: ['**/harness/**', '**/harness', '**/convert/**', '**/convert', '**/cli/**'], message: 'src/golden/ sits below convert/ and harness/: it must not import them.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/tflite/ir/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [ENGINE_PATTERN, { group: ['**/lower/**', '**/lower', '**/quantize/**', '**/quantize'], message: 'src/tflite/ir imports neither lowering nor quantization.' }] },
      ],
    },
  },
);
