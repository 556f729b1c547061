#!/usr/bin/env python3
"""Page server of the SDP acceptance check: serves page.html and runs jsep_tool.

Usage: server.py PORT JSEP_TOOL_BINARY. Prints the page's JSON report and exits."""
import http.server
import subprocess
import sys

PORT = int(sys.argv[1])
TOOL = sys.argv[2]
PAGE = open(__file__.rsplit('/', 1)[0] + '/page.html', 'rb').read()


def tool(mode, stdin=b''):
    return subprocess.run([TOOL, mode], input=stdin, capture_output=True, timeout=30).stdout


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, body, ctype='text/plain'):
        self.send_response(200)
        self.send_header('content-type', ctype)
        self.send_header('cache-control', 'no-store')
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == '/':
            self.reply(PAGE, 'text/html')
        elif self.path == '/our-offer':
            self.reply(tool('offer'))
        else:
            self.send_response(404)
            self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('content-length', 0)))
        if self.path == '/browser-answer':
            self.reply(tool('apply-answer', body))
        elif self.path == '/browser-offer':
            self.reply(tool('answer', body))
        elif self.path == '/result':
            self.reply(b'ok')
            sys.stdout.write(body.decode() + '\n')
            sys.stdout.flush()
            raise SystemExit(0)


http.server.HTTPServer(('127.0.0.1', PORT), Handler).serve_forever()
