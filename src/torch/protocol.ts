// The bridge's request/response types: one entry per method of scripts/torch_bridge.py.
// Tensors travel as file paths (.npy, .safetensors), never as JSON numbers.

export interface BridgeVersions {
  readonly torch: string;
  readonly numpy: string;
  readonly python: string;
  readonly executable: string;
  readonly pid: number;
}

export interface LoadFixtureResult {
  readonly handle: string;
  readonly inputShapes: number[][];
  readonly seed: number;
  /** INPUT_DISTRIBUTION as the fixture wrote it (validated on the TypeScript side). */
  readonly inputDistribution: unknown;
  /** TOLERANCE as the fixture wrote it (validated on the TypeScript side). */
  readonly tolerance: unknown;
  readonly moduleType: string;
  /** Project files the fixture depends on besides itself (absolute paths): local modules it imports, files build() read. */
  readonly dependencies?: readonly string[];
  /** DISCRIMINATION_WAIVER: why the fixture's golden may be recorded although its outputs cannot tell a broken converter apart. */
  readonly discriminationWaiver?: string;
}

export interface StateDictEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
}

export interface RunOutput {
  readonly name: string;
  readonly path: string;
  readonly shape: number[];
  readonly dtype: string;
}

export interface BridgeMethods {
  hello: { params: Record<string, never>; result: BridgeVersions };
  load_fixture: { params: { path: string }; result: LoadFixtureResult };
  state_dict: { params: { handle: string; path: string }; result: { path: string; tensors: StateDictEntry[] } };
  load_weights: { params: { handle: string; path: string }; result: { tensors: number } };
  /**
   * `float64`: run a float64 copy of the model on the inputs widened to float64 (integer inputs stay integer).
   * `float16Weights`: the same, with every floating parameter and buffer rounded to float16 first (implies `float64`).
   */
  run: { params: { handle: string; inputs: string[]; outputDir: string; float64?: boolean; float16Weights?: boolean }; result: { outputs: RunOutput[] } };
  capture_graph: {
    params: { handle: string; inputs: string[]; graphPath: string; constantsPath: string; activationsPath?: string };
    result: { nodes: number; constants: number };
  };
  export_onnx: { params: { handle: string; inputs: string[]; path: string; opset?: number }; result: { path: string; opset: number; outputs: string[] } };
  time_run: {
    params: { handle: string; inputs: string[]; warmup: number; runs: number; minRuns?: number; budgetMs?: number; threads?: number };
    result: { samplesNs: number[]; warmup: number; threads: number };
  };
  unload: { params: { handle: string }; result: Record<string, never> };
}
export type BridgeMethod = keyof BridgeMethods;

export interface BridgeErrorPayload {
  readonly type: string;
  readonly message: string;
  readonly traceback: string;
}

export type BridgeMessage = ({ readonly event: 'ready' } & BridgeVersions) | { readonly id: number; readonly result: unknown } | { readonly id: number | null; readonly error: BridgeErrorPayload };
