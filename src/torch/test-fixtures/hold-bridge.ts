// Run as its own node process by bridge-lifetime.test.ts: starts a bridge, prints the worker's pid,
// then asks it to load a fixture that never returns, and waits to be killed.
import { TorchBridge } from '../bridge.ts';

const bridge = new TorchBridge({ requestTimeoutMs: 600_000 });
const { pid } = await bridge.versions();
process.stdout.write(`${pid}\n`);
await bridge.loadFixture(process.argv[2]!);
