// Runs a WASI preview 1 command on Node's V8 (node:wasi): the best-JIT reference of the engine
// benchmark (bench/engines/run.sh).
//
//   node --no-warnings wasi-run.mjs MODULE.wasm [ARGS...]
//       compiles and runs the module once, like a `plasm run` process; exits with its exit code
//   node --no-warnings wasi-run.mjs --warm N MODULE.wasm [ARGS...]
//       compiles once, then instantiates and runs it 1 + N times in this process (the first run
//       is the cold one), with a full GC between runs (not timed); prints the guest's output of
//       every run, and on stderr one line "timing compile_ms first_ms warm_median_ms
//       warm_ms,warm_ms,..."
//
// The GC between warm runs is needed, not only tidy: Node 20.20 (V8 11.3) sometimes aborts
// (SIGABRT, no message) when the instance after one with a 32 MiB memory (sort 8000000) is
// created while the old memory has not been collected.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WASI } from 'node:wasi';

let argv = process.argv.slice(2);
let warm = -1;
if (argv[0] === '--warm') {
  warm = Number(argv[1]);
  argv = argv.slice(2);
  if (!Number.isInteger(warm) || warm < 1) {
    console.error('wasi-run.mjs: --warm needs a positive whole number');
    process.exit(64);
  }
}
if (argv.length < 1) {
  console.error('usage: node wasi-run.mjs [--warm N] MODULE.wasm [ARGS...]');
  process.exit(64);
}
const [file, ...args] = argv;

function runOnce(module) {
  // returnOnExit: proc_exit ends start() with the code instead of ending the process.
  const wasi = new WASI({ version: 'preview1', args: [basename(file), ...args], env: {}, returnOnExit: true });
  const instance = new WebAssembly.Instance(module, wasi.getImportObject());
  return wasi.start(instance);
}

const bytes = await readFile(file);
const t0 = performance.now();
const module = await WebAssembly.compile(bytes);
const t1 = performance.now();
if (warm < 0) {
  process.exitCode = runOnce(module);
} else {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const times = [];
  let code = 0;
  for (let i = 0; i <= warm && code === 0; i++) {
    const s = performance.now();
    code = runOnce(module);
    times.push(performance.now() - s);
    gc();
  }
  const rest = times.slice(1).sort((a, b) => a - b);
  const mid = rest.length >> 1;
  const median = rest.length % 2 ? rest[mid] : (rest[mid - 1] + rest[mid]) / 2;
  console.error(`timing ${(t1 - t0).toFixed(2)} ${times[0].toFixed(2)} ${median.toFixed(2)} ${times.slice(1).map((t) => t.toFixed(2)).join(',')}`);
  process.exitCode = code;
}
