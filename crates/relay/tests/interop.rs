//! Starts the `nutshell-relay` binary on 127.0.0.1 and queries it: with coturn's independent
//! STUN client `turnutils_stunclient` (Debian package `coturn`), and with our own codec over
//! UDP and TCP, including garbage, malformed and unknown-attribute requests, then stops it with
//! SIGINT and checks that it exits cleanly. All traffic stays on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use stun::{Attribute, Encoder, Message, MessageType, TransactionId, types};

/// Guard against hangs only; no assertion depends on timing.
const HANG_GUARD: Duration = Duration::from_secs(20);

struct Relay {
    child: Child,
    port: u16,
    /// Lines of the relay's log (stderr), read by a thread.
    log: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Relay {
    fn start() -> Relay {
        Relay::start_with(&[])
    }

    /// Starts the relay on 127.0.0.1 (its `port`) and on `extra` listen addresses.
    fn start_with(extra: &[SocketAddr]) -> Relay {
        // A port free for UDP at this moment; the relay binds TCP on the same port.
        let port = free_port("127.0.0.1");
        let mut args = vec!["--listen".to_string(), format!("127.0.0.1:{port}")];
        for a in extra {
            args.push("--listen".into());
            args.push(a.to_string());
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_nutshell-relay"))
            .args(&args)
            .env("RUST_LOG", "nutshell_relay=trace")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nutshell-relay");
        let stderr = child.stderr.take().unwrap();
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut relay = Relay {
            child,
            port,
            log,
            seen: Vec::new(),
        };
        for _ in 0..=extra.len() {
            relay.wait_log_new("listening on tcp");
        }
        relay
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Waits for a new log line (not seen before) containing `needle`.
    fn wait_log_new(&mut self, needle: &str) -> String {
        loop {
            match self.log.recv_timeout(HANG_GUARD) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(e) => panic!(
                    "relay never logged {needle:?} ({e}); log so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Waits for a log line containing `needle` and returns it.
    fn wait_log(&mut self, needle: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        loop {
            match self.log.recv_timeout(HANG_GUARD) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(e) => panic!(
                    "relay never logged {needle:?} ({e}); log so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port(ip: &str) -> u16 {
    UdpSocket::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn binding_request(tid: [u8; 12], build: impl FnOnce(&mut Encoder<'_>)) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut enc = Encoder::new(&mut buf, MessageType::BINDING_REQUEST, TransactionId(tid));
    build(&mut enc);
    enc.add_fingerprint();
    enc.finish();
    buf
}

fn udp_client() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    // Short reads so the exchange below can retransmit, as STUN clients do over UDP.
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    s
}

/// Sends `req` and returns the answer with the same transaction id, retransmitting as RFC 8489
/// §6.2.1 clients do (UDP may drop, e.g. right after a flood filled the socket buffer).
fn udp_exchange(sock: &UdpSocket, to: SocketAddr, req: &[u8]) -> Vec<u8> {
    let tid = &req[8..20];
    let mut buf = [0u8; 2048];
    for _attempt in 0..40 {
        sock.send_to(req, to).unwrap();
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            if from == to && n >= 20 && &buf[8..20] == tid {
                return buf[..n].to_vec();
            }
        }
    }
    panic!("no answer from the relay");
}

/// Strips ANSI colour codes, in case the log has them.
fn plain(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn coturn_stunclient_gets_its_mapped_address() {
    let mut relay = Relay::start();
    let output = match Command::new("turnutils_stunclient")
        .args(["-p", &relay.port.to_string(), "127.0.0.1"])
        .stdin(Stdio::null())
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!(
            "cannot run turnutils_stunclient ({e}): install coturn \
             (`apt-get install -y coturn`) to run this interop test"
        ),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "stunclient failed: {stdout}");
    // It prints e.g. "0: : IPv4. UDP reflexive addr: 127.0.0.1:52916".
    let mapped: SocketAddr = stdout
        .lines()
        .find_map(|l| l.split("UDP reflexive addr: ").nth(1))
        .unwrap_or_else(|| panic!("no reflexive address in: {stdout}"))
        .trim()
        .parse()
        .expect("a socket address");
    assert_eq!(mapped.ip().to_string(), "127.0.0.1");
    // The relay logged the source it answered; the client must have seen exactly that.
    let line = plain(&relay.wait_log("binding success"));
    assert!(
        line.contains(&format!("source={mapped}")),
        "relay answered {line:?}, client printed {mapped}"
    );
}

#[test]
fn udp_tcp_errors_floods_and_clean_shutdown() {
    let mut relay = Relay::start();
    let server = relay.addr();
    let sock = udp_client();
    let me = sock.local_addr().unwrap();

    // Success over UDP.
    let resp = udp_exchange(&sock, server, &binding_request([1; 12], |_| {}));
    let msg = Message::decode(&resp).unwrap();
    assert_eq!(msg.typ(), MessageType::BINDING_SUCCESS);
    assert_eq!(msg.transaction_id(), TransactionId([1; 12]));
    assert!(msg.has_fingerprint());
    assert_eq!(
        msg.get(types::XOR_MAPPED_ADDRESS),
        Some(Ok(Attribute::XorMappedAddress(me)))
    );
    assert!(matches!(
        msg.get(types::SOFTWARE),
        Some(Ok(Attribute::Software(s))) if s.starts_with("nutshell-relay")
    ));

    // A flood of garbage and non-requests: no answers, and the server keeps serving.
    let mut indication = Vec::new();
    Encoder::new(
        &mut indication,
        MessageType::BINDING_INDICATION,
        TransactionId([2; 12]),
    )
    .finish();
    for i in 0..2000u32 {
        let junk: Vec<u8> = (0..(i % 300)).map(|j| (i * 31 + j * 7) as u8).collect();
        sock.send_to(&junk, server).unwrap();
        if i % 100 == 0 {
            sock.send_to(&indication, server).unwrap();
        }
    }
    let resp = udp_exchange(&sock, server, &binding_request([3; 12], |_| {}));
    assert_eq!(
        Message::decode(&resp).unwrap().typ(),
        MessageType::BINDING_SUCCESS
    );
    // Garbage and indications got no answer at all: nothing else is waiting for us.
    sock.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 2048];
    while let Ok((n, _)) = sock.recv_from(&mut buf) {
        // Only duplicate answers to our retransmitted request may be here.
        assert_eq!(
            &buf[8..20],
            &[3u8; 12][..],
            "unexpected answer of {n} bytes"
        );
    }
    sock.set_nonblocking(false).unwrap();

    // 420 with UNKNOWN-ATTRIBUTES.
    let req = binding_request([4; 12], |e| e.add_raw(0x7F01, b"??").unwrap());
    let msg_bytes = udp_exchange(&sock, server, &req);
    let msg = Message::decode(&msg_bytes).unwrap();
    assert_eq!(msg.typ(), MessageType::BINDING_ERROR);
    assert!(matches!(
        msg.get(types::ERROR_CODE),
        Some(Ok(Attribute::ErrorCode { code: 420, .. }))
    ));
    assert_eq!(msg.raw(types::UNKNOWN_ATTRIBUTES), Some(&[0x7F, 0x01][..]));

    // 400 to a malformed request (an attribute claims more than the message has).
    let mut bad = Vec::new();
    let mut enc = Encoder::new(
        &mut bad,
        MessageType::BINDING_REQUEST,
        TransactionId([5; 12]),
    );
    enc.add(&Attribute::Software("abc")).unwrap();
    enc.finish();
    bad[23] = 200;
    let msg_bytes = udp_exchange(&sock, server, &bad);
    let msg = Message::decode(&msg_bytes).unwrap();
    assert_eq!(msg.transaction_id(), TransactionId([5; 12]));
    assert!(matches!(
        msg.get(types::ERROR_CODE),
        Some(Ok(Attribute::ErrorCode { code: 400, .. }))
    ));

    // TCP: two requests in one write, answered in order, framed by their lengths.
    let mut tcp = TcpStream::connect(server).unwrap();
    tcp.set_read_timeout(Some(HANG_GUARD)).unwrap();
    let tcp_me = tcp.local_addr().unwrap();
    let mut both = binding_request([6; 12], |_| {});
    both.extend(binding_request([7; 12], |_| {}));
    tcp.write_all(&both).unwrap();
    for tid in [[6; 12], [7; 12]] {
        let mut head = [0u8; 20];
        tcp.read_exact(&mut head).unwrap();
        let len = stun::frame_len(&head).unwrap();
        let mut whole = head.to_vec();
        whole.resize(len, 0);
        tcp.read_exact(&mut whole[20..]).unwrap();
        let msg = Message::decode(&whole).unwrap();
        assert_eq!(msg.transaction_id(), TransactionId(tid));
        assert_eq!(
            msg.get(types::XOR_MAPPED_ADDRESS),
            Some(Ok(Attribute::XorMappedAddress(tcp_me)))
        );
    }
    // Garbage on TCP closes that connection (the stream cannot be resynchronised).
    tcp.write_all(&[0xFF; 64]).unwrap();
    let mut rest = Vec::new();
    let _ = tcp.read_to_end(&mut rest);
    assert!(rest.is_empty());

    // Ctrl-C: the relay logs and exits with success.
    let pid = relay.child.id().to_string();
    let status = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(status.success());
    relay.wait_log("shutting down");
    let status = relay.child.wait().unwrap();
    assert!(status.success(), "relay exited with {status}");
}

#[test]
fn ipv6_loopback_and_repeated_listen() {
    // Skip only where the kernel has no IPv6 loopback at all; then nothing here can run.
    let Ok(probe) = UdpSocket::bind("[::1]:0") else {
        eprintln!("no IPv6 loopback here; skipping");
        return;
    };
    let v6 = SocketAddr::from((
        std::net::Ipv6Addr::LOCALHOST,
        probe.local_addr().unwrap().port(),
    ));
    drop(probe);
    let relay = Relay::start_with(&[v6]);

    // Both listeners answer, each with the client's own address family.
    let sock4 = udp_client();
    let resp = udp_exchange(&sock4, relay.addr(), &binding_request([8; 12], |_| {}));
    assert_eq!(
        Message::decode(&resp)
            .unwrap()
            .get(types::XOR_MAPPED_ADDRESS),
        Some(Ok(Attribute::XorMappedAddress(sock4.local_addr().unwrap())))
    );
    let sock6 = UdpSocket::bind("[::1]:0").unwrap();
    sock6
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let resp = udp_exchange(&sock6, v6, &binding_request([9; 12], |_| {}));
    assert_eq!(
        Message::decode(&resp)
            .unwrap()
            .get(types::XOR_MAPPED_ADDRESS),
        Some(Ok(Attribute::XorMappedAddress(sock6.local_addr().unwrap())))
    );
}
