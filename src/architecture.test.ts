// The layering rules of eslint.config.js, checked on probe sources: only src/runtimes/ may import an
// engine (tfjs, LiteRT, ONNX Runtime), statically or with import(); everyone else, src/keras/
// included, takes `tf` from src/runtimes/tfjs/. Type-only imports load nothing and stay allowed.
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: ROOT });

async function ruleHits(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${path}` });
  return result!.messages.map((m) => m.ruleId ?? 'fatal').filter((id) => id.startsWith('no-restricted') || id === 'fatal');
}

const ENGINE_IMPORTS = [
  "import * as tf from '@tensorflow/tfjs';\nexport const x = tf;\n",
  "import { loadLiteRt } from '@litertjs/core';\nexport const x = loadLiteRt;\n",
  "import * as ort from 'onnxruntime-node';\nexport const x = ort;\n",
  "export const x = () => import('@tensorflow/tfjs-backend-wasm');\n",
];

describe('engine imports', () => {
  it.each(['src/keras/layers/probe.ts', 'src/keras/builder/ops/probe.ts', 'src/harness/probe.test.ts', 'src/convert/probe.ts', 'scripts/probe.ts'])('are refused in %s', async (path) => {
    for (const code of ENGINE_IMPORTS) expect(await ruleHits(path, code), code).toHaveLength(1);
  });

  it('are allowed in src/runtimes/, and type-only imports and the engine module everywhere', async () => {
    for (const code of ENGINE_IMPORTS) expect(await ruleHits('src/runtimes/tfjs/probe.ts', code), code).toEqual([]);
    expect(await ruleHits('src/keras/layers/probe.ts', "import type * as tf from '@tensorflow/tfjs';\nexport type T = tf.Tensor;\n")).toEqual([]);
    expect(await ruleHits('src/keras/layers/probe.ts', "import { tf } from '../../runtimes/tfjs/index.ts';\nexport const x = tf;\n")).toEqual([]);
  });
});
