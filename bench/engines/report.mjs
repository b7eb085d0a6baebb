// Turns the raw measurements of bench/engines/run.sh into Markdown tables (medians and ratios).
//
//   node report.mjs RESULTS_DIR
//
// RESULTS_DIR holds raw.tsv (PROFILE PROGRAM ARGS ENGINE METRIC MILLISECONDS, tab-separated),
// engines.tsv (ENGINE MODE, in column order), meta.txt (lines printed as they are) and
// failures.txt (one line per failure, may be empty).
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node report.mjs RESULTS_DIR');
  process.exit(64);
}
const lines = (f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.length) : []);

const rows = lines('raw.tsv').map((l) => {
  const [profile, program, args, engine, metric, ms] = l.split('\t');
  return { profile, program, args, engine, metric, ms: Number(ms) };
});
const engines = lines('engines.tsv').map((l) => l.split('\t')[0]);
const modes = Object.fromEntries(lines('engines.tsv').map((l) => l.split('\t')));
const failures = lines('failures.txt');

const median = (v) => {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const geomean = (v) => (v.length ? Math.exp(v.reduce((a, x) => a + Math.log(x), 0) / v.length) : NaN);
const ms = (x) => (!Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (x) => (!Number.isFinite(x) ? '—' : x >= 100 ? `${x.toFixed(0)}x` : x >= 10 ? `${x.toFixed(1)}x` : `${x.toFixed(2)}x`);

// value(profile, program, engine, metric): the median of every sample.
const index = new Map();
for (const r of rows) {
  const k = [r.profile, r.program, r.engine, r.metric].join('|');
  if (!index.has(k)) index.set(k, []);
  index.get(k).push(r.ms);
}
const value = (p, prog, e, m) => median(index.get([p, prog, e, m].join('|')) ?? []);
const count = (p, prog, e, m) => (index.get([p, prog, e, m].join('|')) ?? []).length;

const profiles = [...new Set(rows.map((r) => r.profile))];
// Reference columns are compared with native only; the Plasm engines also with V8.
const reference = (e) => e === 'v8' || e === 'native-clang';
const out = [];
const say = (s = '') => out.push(s);

for (const m of lines('meta.txt')) say(m);
say();

for (const p of profiles) {
  const programs = [];
  for (const r of rows) if (r.profile === p && !programs.some((x) => x.program === r.program)) programs.push(r);
  const cols = engines.filter((e) => rows.some((r) => r.profile === p && r.engine === e));
  const plasm = cols.filter((e) => !reference(e) && e !== 'native');
  const runs = Math.max(0, ...programs.flatMap((r) => cols.map((e) => count(p, r.program, e, "process"))));

  say(`### Profile \`${p}\`: whole processes`);
  say();
  say(`Median wall time of ${runs} run(s) of the whole process, in ms; in brackets × native (gcc -O2) and, for the Plasm engines, × V8. Plasm engines: \`plasm run --engine ID\`; v8: \`node wasi-run.mjs\`; native, native-clang: the binary.`);
  say();
  say(`| program | ${cols.join(' | ')} |`);
  say(`|---|${cols.map(() => '---:').join('|')}|`);
  const procRatios = Object.fromEntries(cols.map((e) => [e, { n: [], v: [] }]));
  for (const { program, args } of programs) {
    const nat = value(p, program, 'native', 'process');
    const v8 = value(p, program, 'v8', 'process');
    const cells = cols.map((e) => {
      const t = value(p, program, e, 'process');
      if (!Number.isFinite(t)) return '—';
      if (e === 'native') return ms(t);
      if (program !== 'hello') {
        procRatios[e].n.push(t / nat);
        procRatios[e].v.push(t / v8);
      }
      return reference(e) ? `${ms(t)} (${ratio(t / nat)})` : `${ms(t)} (${ratio(t / nat)}, ${ratio(t / v8)})`;
    });
    say(`| ${program}${args ? ` ${args}` : ""} | ${cells.join(' | ')} |`);
  }
  const gm = cols.map((e) => {
    if (e === 'native') return '1x';
    const n = geomean(procRatios[e].n);
    return reference(e) ? ratio(n) : `${ratio(n)}, ${ratio(geomean(procRatios[e].v))}`;
  });
  say(`| **geometric mean of the ratios** (hello excluded) | ${gm.join(' | ')} |`);
  say();

  // Native binaries have no compile step: their "warm run" is main() timed by the program itself.
  const isNative = (e) => e === 'native' || e === 'native-clang';
  const warmOf = (prog, e) => (isNative(e) ? value(p, prog, e, 'guest') : value(p, prog, e, 'warm'));
  const warmCount = (prog, e) => count(p, prog, e, isNative(e) ? 'guest' : 'warm');
  const warmEngines = ['native', 'native-clang', 'v8', ...plasm].filter((e) => programs.some((r) => warmCount(r.program, e) > 0));
  if (warmEngines.length) {
    const warmRuns = Math.max(0, ...programs.flatMap((r) => warmEngines.filter((e) => !isNative(e)).map((e) => count(p, r.program, e, 'warm'))));
    say(`### Profile \`${p}\`: in one process (compile once, run many times)`);
    say();
    say(`Milliseconds. *compile*: the first compile in a fresh process (cold) and the median of later ones (warm); *first run*: the first instantiate-and-run after compiling; *warm run*: median of the next ${warmRuns} runs, each on a fresh instance. V8 is \`WebAssembly.compile\` + \`new WebAssembly.Instance\` in Node; Plasm engines are \`WasmEngine.compile\` + \`CompiledModule.run\` in the harness. *native*, *native-clang*: the time the native binary spends in \`main()\` (measured by the program, no process start-up), median of the process runs. Ratios: warm run ÷ native, ÷ V8 warm run.`);
    say();
    say('| program | engine | compile cold | compile warm | first run | warm run | × native | × V8 warm |');
    say('|---|---|---:|---:|---:|---:|---:|---:|');
    const warmRatios = Object.fromEntries(warmEngines.map((e) => [e, { n: [], v: [] }]));
    for (const { program, args } of programs) {
      const nat = warmOf(program, 'native');
      const v8w = value(p, program, 'v8', 'warm');
      for (const e of warmEngines) {
        if (!warmCount(program, e)) continue;
        const w = warmOf(program, e);
        if (program !== 'hello') {
          warmRatios[e].n.push(w / nat);
          warmRatios[e].v.push(w / v8w);
        }
        say(`| ${program}${args ? ` ${args}` : ""} | ${e} | ${ms(value(p, program, e, 'compile_cold'))} | ${ms(value(p, program, e, 'compile_warm'))} | ${ms(value(p, program, e, 'first'))} | ${ms(w)} | ${ratio(w / nat)} | ${ratio(w / v8w)} |`);
      }
    }
    say();
    say('Geometric means over the programs (hello excluded):');
    say();
    say('| engine | warm run × native | warm run × V8 warm | whole process × native | whole process × V8 |');
    say('|---|---:|---:|---:|---:|');
    for (const e of warmEngines) {
      const pn = geomean(procRatios[e]?.n ?? []);
      const pv = e === 'v8' ? 1 : e === 'native' ? NaN : geomean(procRatios[e]?.v ?? []);
      say(`| ${e} | ${ratio(geomean(warmRatios[e].n))} | ${ratio(geomean(warmRatios[e].v))} | ${e === 'native' ? '1x' : ratio(pn)} | ${ratio(pv)} |`);
    }
    say();
  }
}

// Plasm's wasmtime engine against the same binding without Plasm (raw/RawWasmtime.java), per
// program: the cost of what Plasm puts around the engine.
if (engines.includes('wasmtime') && engines.includes('wasmtime-java')) {
  say('### Plasm\'s `wasmtime` ÷ `wasmtime-java` (the same wasmtime-java 0.19 on a plain JVM, default settings)');
  say();
  say('Ratios of the medians above (whole process, warm run in one process) and of the warm runs\' CPU time (the guest thread\'s, which others\' work on the machine does not inflate); geometric means exclude hello.');
  say();
  say('| profile | program | whole process | warm run | warm run, CPU time |');
  say('|---|---|---:|---:|---:|');
  for (const p of profiles) {
    const seen = new Set();
    const proc = [];
    const warm = [];
    const cpu = [];
    for (const r of rows) {
      if (r.profile !== p || seen.has(r.program)) continue;
      seen.add(r.program);
      const pr = value(p, r.program, 'wasmtime', 'process') / value(p, r.program, 'wasmtime-java', 'process');
      const wr = value(p, r.program, 'wasmtime', 'warm') / value(p, r.program, 'wasmtime-java', 'warm');
      const cr = value(p, r.program, 'wasmtime', 'warm_cpu') / value(p, r.program, 'wasmtime-java', 'warm_cpu');
      if (!Number.isFinite(pr) && !Number.isFinite(wr)) continue;
      if (r.program !== 'hello') {
        if (Number.isFinite(pr)) proc.push(pr);
        if (Number.isFinite(wr)) warm.push(wr);
        if (Number.isFinite(cr)) cpu.push(cr);
      }
      say(`| ${p} | ${r.program}${r.args ? ` ${r.args}` : ''} | ${ratio(pr)} | ${ratio(wr)} | ${ratio(cr)} |`);
    }
    say(`| ${p} | **geometric mean** | ${ratio(geomean(proc))} | ${ratio(geomean(warm))} | ${ratio(geomean(cpu))} |`);
  }
  say();
}

if (failures.length) {
  say('### Failures');
  say();
  for (const f of failures) say(`- ${f}`);
  say();
}
process.stdout.write(out.join('\n'));
