//! The HTTP/1.1 side of the listening port: reads one request head, and either accepts a
//! WebSocket upgrade (RFC 6455 §4.2) or answers with an embedded file, 404, 405 or 400, then
//! closes. The head is read into a buffer of at most [`MAX_HEAD`] bytes.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::web;

/// Largest request head accepted.
pub const MAX_HEAD: usize = 8 * 1024;
/// Most header lines accepted.
const MAX_HEADERS: usize = 48;

/// What the client asked for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Request {
    /// A WebSocket upgrade: answer 101 and hand over the bytes read past the head.
    Upgrade {
        /// `Sec-WebSocket-Key`.
        key: String,
        /// Bytes after the head (frames the client sent without waiting).
        rest: Vec<u8>,
    },
    /// A plain request: answer it and close.
    Plain(Response),
}

/// A response to a plain request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: &'static str,
    /// HEAD: send the headers only.
    pub head_only: bool,
}

impl Response {
    fn error(status: u16) -> Self {
        let body = match status {
            400 => "bad request\n",
            404 => "not found\n",
            405 => "method not allowed\n",
            431 => "request header fields too large\n",
            _ => "error\n",
        };
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body,
            head_only: false,
        }
    }

    /// Writes the response, then shuts the stream down.
    pub async fn write<S: AsyncWrite + Unpin>(&self, stream: &mut S) -> std::io::Result<()> {
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            431 => "Request Header Fields Too Large",
            _ => "Error",
        };
        let mut out = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
             Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n",
            self.status,
            self.content_type,
            self.body.len()
        );
        if self.status == 405 {
            out.push_str("Allow: GET, HEAD\r\n");
        }
        out.push_str("\r\n");
        if !self.head_only {
            out.push_str(self.body);
        }
        stream.write_all(out.as_bytes()).await?;
        stream.flush().await?;
        stream.shutdown().await
    }
}

/// Reads a request head from `stream` and decides. `Ok(None)`: the peer closed first.
pub(crate) async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> std::io::Result<Option<Request>> {
    let mut buf = vec![0u8; MAX_HEAD];
    let mut filled = 0;
    loop {
        let Some(space) = buf.get_mut(filled..) else {
            return Ok(Some(Request::Plain(Response::error(431))));
        };
        if space.is_empty() {
            return Ok(Some(Request::Plain(Response::error(431))));
        }
        let n = stream.read(space).await?;
        if n == 0 {
            return Ok(None);
        }
        filled += n;
        let data = buf.get(..filled).unwrap_or_default();
        if let Some(request) = parse(data) {
            return Ok(Some(request));
        }
    }
}

/// Parses a complete head; `None` while it is incomplete.
pub(crate) fn parse(data: &[u8]) -> Option<Request> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(data) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return None,
        Err(httparse::Error::TooManyHeaders) => {
            return Some(Request::Plain(Response::error(431)));
        }
        Err(_) => return Some(Request::Plain(Response::error(400))),
    };
    let method = req.method.unwrap_or_default();
    let path = req.path.unwrap_or_default();
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
            .map(str::trim)
    };
    let has_token = |name: &str, token: &str| {
        header(name).is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    if has_token("upgrade", "websocket") {
        let key = header("sec-websocket-key").filter(|k| !k.is_empty());
        return Some(match key {
            Some(key)
                if method == "GET"
                    && has_token("connection", "upgrade")
                    && header("sec-websocket-version") == Some("13") =>
            {
                Request::Upgrade {
                    key: key.to_string(),
                    rest: data.get(len..).unwrap_or_default().to_vec(),
                }
            }
            _ => Request::Plain(Response::error(400)),
        });
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Some(Request::Plain(Response::error(405))),
    };
    Some(Request::Plain(match web::lookup(path) {
        Some(asset) => Response {
            status: 200,
            content_type: asset.content_type,
            body: asset.body,
            head_only,
        },
        None => Response {
            head_only,
            ..Response::error(404)
        },
    }))
}

/// The 101 response accepting a WebSocket upgrade.
pub(crate) fn switching_protocols(key: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrade_and_files() {
        let up = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n\
                   Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\nxyz";
        assert_eq!(
            parse(up),
            Some(Request::Upgrade {
                key: "dGhlIHNhbXBsZSBub25jZQ==".into(),
                rest: b"xyz".to_vec()
            })
        );
        // RFC 6455 §1.3's example.
        assert!(
            switching_protocols("dGhlIHNhbXBsZSBub25jZQ==")
                .contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        );
        let status = |d: &[u8]| match parse(d) {
            Some(Request::Plain(r)) => r.status,
            other => panic!("{other:?}"),
        };
        assert_eq!(status(b"GET / HTTP/1.1\r\n\r\n"), 200);
        assert_eq!(status(b"GET /nope HTTP/1.1\r\n\r\n"), 404);
        assert_eq!(status(b"POST / HTTP/1.1\r\n\r\n"), 405);
        assert_eq!(status(b"\x00\x01 garbage\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"), 400);
        assert!(parse(b"GET / HTTP/1.1\r\nHost").is_none());
    }
}
