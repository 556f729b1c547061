#!/usr/bin/env python3
"""Page server of the browser media check: serves page.html; POST /offer starts udp_echo
with the offer and answers with its answer; POST /result prints the page's report and the
core's report, then exits. Usage: server.py PORT UDP_ECHO_BINARY BIND_ADDR"""
import http.server
import subprocess
import sys

PORT, TOOL, BIND = int(sys.argv[1]), sys.argv[2], sys.argv[3]
PAGE = open(__file__.rsplit('/', 1)[0] + '/page.html', 'rb').read()
core = None


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
        else:
            self.send_response(404)
            self.end_headers()

    def do_POST(self):
        global core
        body = self.rfile.read(int(self.headers.get('content-length', 0)))
        if self.path == '/offer':
            core = subprocess.Popen([TOOL, BIND, '7'], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            core.stdin.write(body)
            core.stdin.close()
            answer = b''
            for line in core.stdout:
                if line.strip() == b'END':
                    break
                answer += line
            self.reply(answer)
        elif self.path == '/result':
            self.reply(b'ok')
            print('browser', body.decode())
            if core:
                print('nutshell', core.stdout.read().decode().strip())
            sys.stdout.flush()
            raise SystemExit(0)


http.server.HTTPServer(('127.0.0.1', PORT), Handler).serve_forever()
