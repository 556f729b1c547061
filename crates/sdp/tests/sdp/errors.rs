//! One test per error variant: the variant, its line number and what it expected.

use nutshell_sdp::{Candidate, Error, Limits, SessionDescription};

const HEAD: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

fn parse(text: &str) -> Error {
    SessionDescription::parse(text).expect_err("parse should fail")
}

fn with_limits(text: &str, limits: Limits) -> Error {
    SessionDescription::parse_with_limits(text, &limits).expect_err("parse should fail")
}

#[test]
fn too_large() {
    let limits = Limits {
        max_size: 40,
        ..Limits::default()
    };
    let err = with_limits(HEAD, limits);
    assert_eq!(
        err,
        Error::TooLarge {
            size: HEAD.len(),
            limit: 40
        }
    );
    assert_eq!(err.line(), None);
    // The default limit admits a big but honest description and rejects a huge one.
    let huge = format!("{HEAD}{}", "a=x\r\n".repeat(300_000));
    assert!(matches!(parse(&huge), Error::TooLarge { .. }));
}

#[test]
fn line_too_long() {
    let text = format!("{HEAD}a=tool:{}\r\n", "x".repeat(100));
    let limits = Limits {
        max_line_length: 64,
        ..Limits::default()
    };
    assert_eq!(
        with_limits(&text, limits),
        Error::LineTooLong { line: 5, limit: 64 }
    );
}

#[test]
fn too_many_lines() {
    let text = format!("{HEAD}a=a\r\na=b\r\na=c\r\n");
    let limits = Limits {
        max_lines: 6,
        ..Limits::default()
    };
    assert_eq!(
        with_limits(&text, limits),
        Error::TooManyLines { line: 7, limit: 6 }
    );
    // Exactly at the limit is fine.
    let limits = Limits {
        max_lines: 7,
        ..Limits::default()
    };
    assert!(SessionDescription::parse_with_limits(&text, &limits).is_ok());
}

#[test]
fn too_many_media() {
    let m = "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n";
    let text = format!("{HEAD}{m}{m}{m}");
    let limits = Limits {
        max_media: 2,
        ..Limits::default()
    };
    assert_eq!(
        with_limits(&text, limits),
        Error::TooManyMedia { line: 7, limit: 2 }
    );
}

#[test]
fn empty() {
    assert_eq!(parse(""), Error::Empty);
    assert_eq!(parse("\r\n\r\n"), Error::Empty);
}

#[test]
fn not_a_line() {
    assert_eq!(
        parse(&format!("{HEAD}a-rtcp-mux\r\n")),
        Error::NotALine { line: 5 }
    );
    assert_eq!(parse(&format!("{HEAD}=x\r\n")), Error::NotALine { line: 5 });
    assert_eq!(
        parse(&format!("{HEAD}A=x\r\n")),
        Error::NotALine { line: 5 }
    );
}

#[test]
fn unknown_line_type() {
    assert_eq!(
        parse(&format!("{HEAD}x=1\r\n")),
        Error::UnknownLineType { line: 5, kind: 'x' }
    );
    assert_eq!(
        parse(&format!("{HEAD}m=audio 9 RTP/AVP 0\r\ny=1\r\n")),
        Error::UnknownLineType { line: 6, kind: 'y' }
    );
}

#[test]
fn unexpected_line() {
    assert_eq!(
        parse("o=- 1 2 IN IP4 127.0.0.1\r\n"),
        Error::UnexpectedLine {
            line: 1,
            kind: 'o',
            expected: "v= first"
        }
    );
    let err = parse(&format!("{HEAD}m=audio 9 RTP/AVP 0\r\nt=0 0\r\n"));
    assert!(
        matches!(
            err,
            Error::UnexpectedLine {
                line: 6,
                kind: 't',
                ..
            }
        ),
        "{err:?}"
    );
    let err = parse("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nr=7d 1h 0\r\n");
    assert!(
        matches!(
            err,
            Error::UnexpectedLine {
                line: 4,
                kind: 'r',
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn duplicate_line() {
    assert_eq!(
        parse(&format!("{HEAD}s=again\r\n")),
        Error::DuplicateLine { line: 5, kind: 's' }
    );
    assert_eq!(
        parse(&format!("{HEAD}c=IN IP4 0.0.0.0\r\nc=IN IP4 0.0.0.0\r\n")),
        Error::DuplicateLine { line: 6, kind: 'c' }
    );
    assert_eq!(
        parse(&format!("{HEAD}m=audio 9 RTP/AVP 0\r\ni=a\r\ni=b\r\n")),
        Error::DuplicateLine { line: 7, kind: 'i' }
    );
}

#[test]
fn unsupported_version() {
    assert_eq!(parse("v=1\r\n"), Error::UnsupportedVersion { line: 1 });
}

#[test]
fn missing_line() {
    assert_eq!(
        parse("v=0\r\ns=-\r\n"),
        Error::MissingLine {
            line: 2,
            expected: "o="
        }
    );
    assert_eq!(
        parse("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nt=0 0\r\n"),
        Error::MissingLine {
            line: 3,
            expected: "s="
        }
    );
    // Input that ends too early names the last line.
    assert_eq!(
        parse("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"),
        Error::MissingLine {
            line: 3,
            expected: "s="
        }
    );
}

#[test]
fn invalid_field() {
    let cases = [
        ("v=0\r\no=- x 2 IN IP4 127.0.0.1\r\ns=-\r\n", 2, 'o'),
        ("v=0\r\no=- 1 2 IN IP4\r\ns=-\r\n", 2, 'o'),
        (&format!("{HEAD}c=IN IP4\r\n"), 5, 'c'),
        (&format!("{HEAD}c=IN IP4 224.2.1.1/300\r\n"), 5, 'c'),
        (&format!("{HEAD}c=IN IP6 ff15::101/3/2\r\n"), 5, 'c'),
        (&format!("{HEAD}b=AS\r\n"), 5, 'b'),
        (&format!("{HEAD}b=AS:fast\r\n"), 5, 'b'),
        ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0\r\n", 4, 't'),
        (&format!("{HEAD}r=7x 1h\r\n"), 5, 'r'),
        (&format!("{HEAD}z=2882844526\r\n"), 5, 'z'),
        (&format!("{HEAD}m=audio\r\n"), 5, 'm'),
        (&format!("{HEAD}m=audio 70000 RTP/AVP 0\r\n"), 5, 'm'),
        (&format!("{HEAD}m=audio 9/x RTP/AVP 0\r\n"), 5, 'm'),
    ];
    for (text, line, kind) in cases {
        let err = parse(text);
        assert!(
            matches!(err, Error::InvalidField { line: l, kind: k, .. } if l == line && k == kind),
            "{text:?} gave {err:?}"
        );
    }
}

#[test]
fn invalid_attribute() {
    let cases = [
        ("rtpmap:x opus/48000", "rtpmap"),
        ("rtpmap:111 opus", "rtpmap"),
        ("rtpmap:300 opus/48000", "rtpmap"),
        ("rtpmap", "rtpmap"),
        ("fmtp:abc x=1", "fmtp"),
        ("rtcp-fb:96", "rtcp-fb"),
        ("rtcp:x", "rtcp"),
        ("rtcp:9 IN IP4", "rtcp"),
        ("rtcp-mux:yes", "rtcp-mux"),
        ("extmap:1/sideways urn:x", "extmap"),
        ("extmap:1", "extmap"),
        ("mid:", "mid"),
        ("mid:a b", "mid"),
        ("msid:a b c", "msid"),
        ("group:", "group"),
        ("fingerprint:sha-256 AB:CD", "fingerprint"),
        (
            "fingerprint:sha-1 ZZ:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00",
            "fingerprint",
        ),
        ("fingerprint:sha-256", "fingerprint"),
        ("setup:sometimes", "setup"),
        ("candidate:1 1 udp 100 1.2.3.4 5000 host", "candidate"),
        ("candidate:1 1 udp 100 1.2.3.4 99999 typ host", "candidate"),
        (
            "candidate:1 1 udp 100 1.2.3.4 5000 typ host generation",
            "candidate",
        ),
        (
            "candidate:1 1 tcp 100 1.2.3.4 5000 typ host tcptype sideways",
            "candidate",
        ),
        (
            "candidate:1 1 udp 100 1.2.3.4 5000 typ host generation 0 generation 1",
            "candidate",
        ),
        ("candidate:f@@ 1 udp 100 1.2.3.4 5000 typ host", "candidate"),
        ("end-of-candidates:now", "end-of-candidates"),
        ("ssrc:1", "ssrc"),
        ("ssrc:-1 cname:x", "ssrc"),
        ("ssrc-group:FID 1 x", "ssrc-group"),
        ("rid:q sideways", "rid"),
        ("simulcast:send", "simulcast"),
        ("simulcast:send a;;b", "simulcast"),
        ("simulcast:send a send b", "simulcast"),
        ("sctp-port:port", "sctp-port"),
        ("max-message-size:-1", "max-message-size"),
        ("sctpmap:5000", "sctpmap"),
        ("sendrecv:1", "sendrecv"),
        ("ptime:fast", "ptime"),
        ("maxptime:1.", "maxptime"),
        ("framerate:NaN", "framerate"),
        ("ice-options:", "ice-options"),
    ];
    for (attr, name) in cases {
        let text = format!("{HEAD}m=audio 9 RTP/AVP 0\r\na={attr}\r\n");
        let err = parse(&text);
        assert!(
            matches!(&err, Error::InvalidAttribute { line: 6, name: n, .. } if *n == name),
            "a={attr} gave {err:?}"
        );
    }
}

#[test]
fn lone_candidate_errors_report_line_one() {
    let err = Candidate::parse("1 1 udp 100 1.2.3.4 5000 typ host").unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidAttribute {
            line: 1,
            name: "candidate",
            ..
        }
    ));
    let err = Candidate::parse("candidate:1 1 udp").unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidAttribute {
            line: 1,
            name: "candidate",
            ..
        }
    ));
}

#[test]
fn errors_say_what_was_expected() {
    let err = parse(&format!("{HEAD}m=audio 9 RTP/AVP 0\r\na=rtpmap:x\r\n"));
    let msg = err.to_string();
    assert!(
        msg.starts_with("line 6: malformed a=rtpmap, expected"),
        "{msg}"
    );
    assert!(msg.ends_with("expected a payload type number"), "{msg}");
}
