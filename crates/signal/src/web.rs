//! The browser demo page, embedded in the binary from `crates/signal/web/` with
//! `include_str!`. To add a file: put it in `web/` and add a line to [`ASSETS`].

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The URL path it is served at.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its content.
    pub body: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// Every file the server serves over plain HTTP GET (and HEAD).
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: HTML,
        body: include_str!("../web/index.html"),
    },
    Asset {
        path: "/index.html",
        content_type: HTML,
        body: include_str!("../web/index.html"),
    },
    Asset {
        path: "/app.js",
        content_type: JS,
        body: include_str!("../web/app.js"),
    },
];

/// The asset at a request target (any `?query` or `#fragment` ignored).
pub fn lookup(target: &str) -> Option<&'static Asset> {
    let path = target.split(['?', '#']).next().unwrap_or(target);
    ASSETS.iter().find(|a| a.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_the_query() {
        assert_eq!(lookup("/?room=a").map(|a| a.content_type), Some(HTML));
        assert_eq!(lookup("/app.js").map(|a| a.content_type), Some(JS));
        assert!(lookup("/nope").is_none());
        assert!(lookup("/../etc/passwd").is_none());
    }
}
