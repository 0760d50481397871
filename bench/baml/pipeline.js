// pipeline.js is BAML's side of bench/pipeline_test.go: it runs the same
// program with BAML's own runtime (npm @boundaryml/baml, from the
// directory in BEX_BAML_DIR) against the same fake provider, makes
// BEX_BENCH_WARMUP calls and then BEX_BENCH_CALLS measured calls,
// BEX_BENCH_INFLIGHT at a time, and prints "pipeline-result" and the JSON
// the Go benchmark reads: the process's CPU time (user + system, all its
// threads, BAML's native runtime included) and wall time of the measured
// calls, and its peak RSS.
'use strict';
process.env.BAML_LOG = 'off';
const { BamlRuntime, BamlCtxManager } = require(process.env.BEX_BAML_DIR + '/node_modules/@boundaryml/baml');

const inflight = Number(process.env.BEX_BENCH_INFLIGHT);
const calls = Number(process.env.BEX_BENCH_CALLS);
const warmup = Number(process.env.BEX_BENCH_WARMUP);
const ticket = process.env.BEX_BENCH_TICKET;

// The environment BAML's generated clients pass: the variables the
// program reads.
const env = { BENCH_LLM_URL: process.env.BENCH_LLM_URL };
const rt = BamlRuntime.fromFiles('baml_src', { 'baml_src/pipeline.baml': process.env.BEX_BENCH_SOURCE }, env);
const ctx = new BamlCtxManager(rt);

async function call() {
  const r = await rt.callFunction('ClassifyTicket', { body: ticket }, ctx.cloneContext(), null, null, [], {}, env);
  const t = r.parsed(false);
  if (t.title !== 'Checkout is down' || t.priority !== 1 || t.category !== 'outage') {
    throw new Error('wrong result ' + JSON.stringify(t));
  }
}

// callMany makes n calls, inflight at a time.
async function callMany(n) {
  let next = 0;
  const worker = async () => {
    while (next++ < n) {
      await call();
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
}

(async () => {
  const result = { calls, cpu_ns: 0, wall_ns: 0, max_rss_bytes: 0, Error: '' };
  try {
    await callMany(warmup);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await callMany(calls);
    const cpu = process.cpuUsage(cpu0);
    result.wall_ns = Number(process.hrtime.bigint() - t0);
    result.cpu_ns = (cpu.user + cpu.system) * 1000;
  } catch (e) {
    result.Error = String(e && e.message || e);
  }
  result.max_rss_bytes = process.resourceUsage().maxRSS * 1024;
  console.log('pipeline-result ' + JSON.stringify(result));
  process.exit(0);
})();
