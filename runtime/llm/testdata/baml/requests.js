// requests.js runs one BAML function against a fake OpenAI server that
// answers with the given replies in turn (the last one repeats), and
// prints how many requests BAML made and the outcome: the reference for
// TestAssertRetryBAMLDifferential.
//
// Usage: BEX_BAML_DIR=DIR node requests.js < INPUT
// INPUT is JSON: {"source": "<BAML source; PORT stands for the server's
// port>", "function": "F", "args": {...}, "replies": ["...", ...]}.
// Output: one JSON line, {"requests": n, "ok": value} or
// {"requests": n, "error": "message"}.
const dir = process.env.BEX_BAML_DIR;
process.env.BAML_LOG = 'off';
const { BamlRuntime, BamlCtxManager } = require(dir + '/node_modules/@boundaryml/baml');
const http = require('http');

let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const { source, function: fn, args, replies } = JSON.parse(input);
  let n = 0;
  const srv = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      const reply = replies[Math.min(n, replies.length - 1)];
      n++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({
        id: 'oracle', object: 'chat.completion', model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }));
    });
  });
  srv.listen(0, '127.0.0.1', async () => {
    const src = source.split('PORT').join(String(srv.address().port));
    try {
      const rt = BamlRuntime.fromFiles('baml_src', { 'baml_src/main.baml': src }, {});
      const ctx = new BamlCtxManager(rt);
      const r = await rt.callFunction(fn, args, ctx.cloneContext(), null, null, [], {}, {});
      console.log(JSON.stringify({ requests: n, ok: r.parsed(false) }));
    } catch (e) {
      console.log(JSON.stringify({ requests: n, error: String(e.message || e).split('\n')[0] }));
    }
    srv.close();
  });
});
