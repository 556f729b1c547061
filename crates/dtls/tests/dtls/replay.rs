//! Record and replay (`Config::draws`): a recorded handshake replays byte for byte with a
//! keyless certificate, and a recording that does not fit fails with `ReplayDiverged`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use nutshell_dtls::cert::Certificate;
use nutshell_dtls::crypto::NamedGroup;
use nutshell_dtls::{
    Config, CryptoDraw, Draws, Dtls, Error, Event, SRTP_EXPORTER_LABEL, SrtpKeyingMaterial,
};

use crate::common::configs;

/// One input of an endpoint, with its time.
#[derive(Clone, Debug)]
enum Input {
    Receive(Instant, Vec<u8>),
    Timeout(Instant),
}

/// What one endpoint saw and did in a run.
#[derive(Default)]
struct Log {
    inputs: Vec<Input>,
    /// `outputs[0]`: what it sent after `new`; `outputs[i + 1]`: after `inputs[i]`.
    outputs: Vec<Vec<Vec<u8>>>,
    events: Vec<Event>,
    draws: Vec<CryptoDraw>,
}

fn drain(d: &mut Dtls, log: &mut Log) -> Vec<Vec<u8>> {
    let out: Vec<Vec<u8>> = std::iter::from_fn(|| d.poll_transmit()).collect();
    log.events.extend(std::iter::from_fn(|| d.poll_event()));
    log.draws.extend(d.take_draws());
    log.outputs.push(out.clone());
    out
}

fn feed(d: &mut Dtls, log: &mut Log, input: Input) -> Vec<Vec<u8>> {
    match &input {
        Input::Receive(now, bytes) => d.handle_receive(*now, bytes),
        Input::Timeout(now) => d.handle_timeout(*now),
    }
    log.inputs.push(input);
    drain(d, log)
}

/// Runs a lossless handshake on a virtual clock (1 ms per hop), logging each side. Every
/// delivery is followed by a (harmless, early) timeout call on the receiver, so timeouts are
/// among the recorded inputs too.
fn run(c: Config, s: Config, start: Instant) -> (Dtls, Log, Dtls, Log) {
    let mut now = start;
    let (mut cl, mut sl) = (Log::default(), Log::default());
    let mut client = Dtls::new(c, now);
    let mut server = Dtls::new(s, now);
    let mut wire: VecDeque<(bool, Vec<u8>)> = drain(&mut client, &mut cl)
        .into_iter()
        .map(|d| (true, d))
        .collect();
    drain(&mut server, &mut sl);
    let mut hops = 0;
    while let Some((to_server, d)) = wire.pop_front() {
        hops += 1;
        assert!(hops < 100, "handshake does not settle");
        now += Duration::from_millis(1);
        let (ep, log) = if to_server {
            (&mut server, &mut sl)
        } else {
            (&mut client, &mut cl)
        };
        let mut out = feed(ep, log, Input::Receive(now, d));
        out.extend(feed(ep, log, Input::Timeout(now)));
        wire.extend(out.into_iter().map(|d| (!to_server, d)));
    }
    (client, cl, server, sl)
}

fn srtp_keys(events: &[Event]) -> Option<SrtpKeyingMaterial> {
    events.iter().find_map(|e| match e {
        Event::SrtpKeyingMaterial(k) => Some(k.clone()),
        _ => None,
    })
}

fn failure(events: &[Event]) -> Option<Error> {
    events.iter().find_map(|e| match e {
        Event::Failed(e) => Some(e.clone()),
        _ => None,
    })
}

/// Replays `cfg` (with a keyless copy of its certificate) on `draws` and `inputs`.
fn replay(
    mut cfg: Config,
    draws: Vec<CryptoDraw>,
    inputs: &[Input],
    start: Instant,
) -> (Dtls, Log) {
    cfg.certificate = Certificate::from_der_without_key(cfg.certificate.der().to_vec()).unwrap();
    cfg.draws = Draws::Replay(draws.into());
    let mut log = Log::default();
    let mut d = Dtls::new(cfg, start);
    drain(&mut d, &mut log);
    for input in inputs {
        feed(&mut d, &mut log, input.clone());
    }
    (d, log)
}

fn recorded_configs(group: NamedGroup) -> (Config, Config) {
    let (mut c, mut s) = configs();
    c.groups = vec![group];
    s.groups = vec![group];
    c.draws = Draws::Record;
    s.draws = Draws::Record;
    (c, s)
}

fn record(group: NamedGroup) -> (Config, Log, Config, Log, Instant) {
    let (c, s) = recorded_configs(group);
    let start = Instant::now();
    let (client, cl, server, sl) = run(c.clone(), s.clone(), start);
    assert!(client.is_connected(), "{:?}", cl.events);
    assert!(server.is_connected(), "{:?}", sl.events);
    (c, cl, s, sl, start)
}

#[test]
fn recorded_handshake_replays_byte_for_byte() {
    for group in [NamedGroup::X25519, NamedGroup::Secp256r1] {
        let (c, cl, s, sl, start) = record(group);
        // Client: key share, shared secret, CertificateVerify signature.
        assert!(
            matches!(
                cl.draws.as_slice(),
                [
                    CryptoDraw::KeyShare { group: g, .. },
                    CryptoDraw::SharedSecret(_),
                    CryptoDraw::Signature { .. },
                ] if *g == group
            ),
            "{group:?}: {:?}",
            cl.draws
        );
        // Server: key share, ServerKeyExchange signature, shared secret.
        assert!(
            matches!(
                sl.draws.as_slice(),
                [
                    CryptoDraw::KeyShare { group: g, .. },
                    CryptoDraw::Signature { .. },
                    CryptoDraw::SharedSecret(_),
                ] if *g == group
            ),
            "{group:?}: {:?}",
            sl.draws
        );
        let keys = srtp_keys(&cl.events).unwrap();
        assert_eq!(Some(keys.clone()), srtp_keys(&sl.events));

        for (name, cfg, orig) in [("client", &c, &cl), ("server", &s, &sl)] {
            let (d, log) = replay(cfg.clone(), orig.draws.clone(), &orig.inputs, start);
            assert!(d.is_connected(), "{group:?} {name}: {:?}", log.events);
            assert_eq!(log.outputs.len(), orig.outputs.len());
            for (i, (a, b)) in log.outputs.iter().zip(&orig.outputs).enumerate() {
                assert_eq!(a, b, "{group:?} {name}: output after input {i} differs");
            }
            assert_eq!(log.events, orig.events, "{group:?} {name}");
            assert_eq!(srtp_keys(&log.events), Some(keys.clone()));
            assert_eq!(
                d.export_keying_material(SRTP_EXPORTER_LABEL, keys.material.len())
                    .unwrap(),
                keys.material
            );
            // Replay mode keeps nothing.
            assert!(log.draws.is_empty());
        }
    }
}

#[test]
fn live_endpoints_differ_without_replay() {
    // The control for the test above: the same seeds and inputs with fresh draws give other
    // bytes (the key share), so byte equality really comes from the replayed draws.
    let (c, cl, _, _, start) = record(NamedGroup::X25519);
    let mut cfg = c.clone();
    cfg.draws = Draws::Live;
    let mut log = Log::default();
    let mut d = Dtls::new(cfg, start);
    drain(&mut d, &mut log);
    for input in &cl.inputs {
        feed(&mut d, &mut log, input.clone());
    }
    assert_eq!(
        log.outputs[0], cl.outputs[0],
        "ClientHello depends only on the seed"
    );
    assert_ne!(log.outputs, cl.outputs);
    assert!(log.draws.is_empty(), "Live mode keeps nothing");
}

/// Asserts the endpoint failed with `ReplayDiverged` and sent a fatal internal_error alert
/// (plaintext, epoch 0: level 2, description 80).
fn assert_diverged(d: &Dtls, log: &Log, what: &str) {
    assert!(d.is_closed(), "{what}: {:?}", log.events);
    assert_eq!(failure(&log.events), Some(Error::ReplayDiverged), "{what}");
    assert_eq!(Error::ReplayDiverged.alert().map(|a| a.to_u8()), Some(80));
    let alert = log
        .outputs
        .iter()
        .flatten()
        .find(|d| d.first() == Some(&21));
    assert!(
        alert.is_some_and(|a| a.ends_with(&[2, 80])),
        "{what}: no internal_error alert"
    );
}

#[test]
fn missing_or_mismatched_draws_diverge() {
    let (c, cl, s, sl, start) = record(NamedGroup::X25519);
    let cases: Vec<(&str, &Config, &Log, Vec<CryptoDraw>)> = vec![
        ("server, no draws", &s, &sl, vec![]),
        ("client, no draws", &c, &cl, vec![]),
        // The client runs out after its key share: the shared secret is missing.
        ("client, missing secret", &c, &cl, cl.draws[..1].to_vec()),
        // The server's signature is missing (its secret comes next instead).
        (
            "server, wrong variant",
            &s,
            &sl,
            vec![sl.draws[0].clone(), sl.draws[2].clone()],
        ),
        // A key share of another group.
        (
            "server, wrong group",
            &s,
            &sl,
            vec![
                CryptoDraw::KeyShare {
                    group: NamedGroup::Secp256r1,
                    public: vec![4; 65],
                },
                sl.draws[1].clone(),
                sl.draws[2].clone(),
            ],
        ),
        // A key share of the wrong length for its group.
        (
            "client, bad key length",
            &c,
            &cl,
            vec![
                CryptoDraw::KeyShare {
                    group: NamedGroup::X25519,
                    public: vec![9; 31],
                },
                cl.draws[1].clone(),
                cl.draws[2].clone(),
            ],
        ),
    ];
    for (what, cfg, orig, draws) in cases {
        let (d, log) = replay(cfg.clone(), draws, &orig.inputs, start);
        assert_diverged(&d, &log, what);
    }
}

#[test]
fn keyless_certificate_cannot_sign_live() {
    // A keyless server outside Replay mode fails (it cannot sign ServerKeyExchange), with
    // an internal error rather than a panic.
    let (c, mut s) = configs();
    s.certificate = Certificate::from_der_without_key(s.certificate.der().to_vec()).unwrap();
    assert_eq!(s.certificate.key_pem(), None);
    let (client, _, server, sl) = run(c, s, Instant::now());
    assert!(!client.is_connected() && server.is_closed());
    assert!(matches!(failure(&sl.events), Some(Error::Crypto(_))));
}
