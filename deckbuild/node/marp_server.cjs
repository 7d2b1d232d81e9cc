// A warm marp-cli: one Node process that converts Markdown to the bespoke HTML again and again,
// without paying Node's start-up and marp-cli's module loading on every save.
// Protocol: one JSON request per line on stdin {"id", "argv"}; one JSON reply per line
// {"id", "code", "ms"} on the file descriptor named by argv[3] (stdout/stderr stay marp-cli's own log). EOF on stdin ends the process.
'use strict';
const fs = require('node:fs');
const readline = require('node:readline');
const marpCliPath = process.argv[2];
const replyFd = Number(process.argv[3]);
const { marpCli } = require(marpCliPath);

const reply = (obj) => fs.writeSync(replyFd, JSON.stringify(obj) + '\n');
let queue = Promise.resolve();
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    const request = JSON.parse(line);
    const started = performance.now();
    let code;
    try {
      code = await marpCli(request.argv, {});
    } catch (err) {
      console.error(String(err && err.stack || err));
      code = 1;
    }
    reply({ id: request.id, code, ms: performance.now() - started });
  });
}).on('close', () => queue.then(() => process.exit(0)));
reply({ id: 0, ready: true });
