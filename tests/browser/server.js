// The page server and signaling relay of the browser interop tests (Node, no packages).
// Runs inside the test's network namespace: `node server.js PORT DIR`.
//   GET  /             the self-driving page (DIR/page.html); the query string carries the case
//   POST /to-test      a JSON message from the page, printed as one line on stdout
//   GET  /from-test    long poll: the next line the test wrote on our stdin (204 after 20 s)
//   anything else      404 (Firefox prefs that need a URL point here)
// The line "listening PORT" on stdout says the server is ready.
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const readline = require('readline');

const port = Number(process.argv[2]);
const dir = process.argv[3];
const queue = [];
const waiters = [];

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const w = waiters.shift();
  if (w) w(line); else queue.push(line);
}).on('close', () => process.exit(0));

function nextLine(timeoutMs) {
  if (queue.length) return Promise.resolve(queue.shift());
  return new Promise((resolve) => {
    const w = (line) => { clearTimeout(t); resolve(line); };
    const t = setTimeout(() => {
      const i = waiters.indexOf(w);
      if (i >= 0) waiters.splice(i, 1);
      resolve(null);
    }, timeoutMs);
    waiters.push(w);
  });
}

http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET' && url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(fs.readFileSync(path.join(dir, 'page.html')));
  } else if (req.method === 'POST' && url.pathname === '/to-test') {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      try {
        process.stdout.write(JSON.stringify(JSON.parse(body)) + '\n');
        res.writeHead(200); res.end('ok');
      } catch (e) {
        res.writeHead(400); res.end(String(e));
      }
    });
  } else if (req.method === 'GET' && url.pathname === '/from-test') {
    nextLine(20000).then((line) => {
      if (line === null) { res.writeHead(204); res.end(); return; }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(line);
    });
  } else {
    res.writeHead(404); res.end();
  }
}).listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
