// oracle.js runs BAML functions against a fake OpenAI server that answers
// with given reply texts, and prints BAML's parsed result of each: the
// reference for TestBAMLDifferential.
//
// Usage: BEX_BAML_DIR=DIR node oracle.js < INPUT
// INPUT is JSON: {"source": "<BAML classes, enums and functions>",
// "cases": [{"function": "F0", "reply": "..."}, ...]}. The source gets a
// client named Oracle that talks to the fake server; each function takes
// one string argument x. A case with "partial": true is not called: its
// reply is parsed as the partial reply of a stream (BAML's
// parseLlmResponse with partials allowed). Output: one JSON line per case,
// {"ok": value} or {"error": "message"}.
const dir = process.env.BEX_BAML_DIR;
process.env.BAML_LOG = 'off';
const { BamlRuntime, BamlCtxManager } = require(dir + '/node_modules/@boundaryml/baml');
const http = require('http');

let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const { source, cases } = JSON.parse(input);
  let reply = '';
  const srv = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({
        id: 'oracle', object: 'chat.completion', model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }));
    });
  });
  srv.listen(0, '127.0.0.1', async () => {
    const client = `
client<llm> Oracle {
  provider openai
  options {
    model "m"
    base_url "http://127.0.0.1:${srv.address().port}/v1"
    api_key "k"
  }
  retry_policy None
}
retry_policy None {
  max_retries 0
}
`;
    let rt;
    try {
      rt = BamlRuntime.fromFiles('baml_src', { 'baml_src/main.baml': client + source }, {});
    } catch (e) {
      console.log(JSON.stringify({ fatal: String(e.message || e) }));
      srv.close();
      return;
    }
    const ctx = new BamlCtxManager(rt);
    for (const c of cases) {
      reply = c.reply;
      try {
        let v;
        if (c.partial) {
          v = rt.parseLlmResponse(c.function, c.reply, true, ctx.cloneContext(), null, null, {});
        } else {
          const r = await rt.callFunction(c.function, { x: 'x' }, ctx.cloneContext(), null, null, [], {}, {});
          v = r.parsed(false);
        }
        console.log(JSON.stringify({ ok: v === undefined ? null : v }));
      } catch (e) {
        let m = String(e.message || e);
        try { m = JSON.parse(m).message || m; } catch (_) { /* not JSON */ }
        console.log(JSON.stringify({ error: m.split('\n')[0] }));
      }
    }
    srv.close();
  });
});
