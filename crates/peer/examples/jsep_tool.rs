//! A command-line face of the JSEP engine, for checking our descriptions against real
//! browsers (see `tests/browser_sdp/run.sh`):
//!
//! - `jsep_tool offer`: prints our audio+video offer.
//! - `jsep_tool apply-answer < answer.sdp`: makes the same offer again (same seed) and
//!   applies the answer on stdin as the remote description; prints `ok` or the error.
//! - `jsep_tool answer < offer.sdp`: applies the offer on stdin as the remote description,
//!   adds an audio and a video track, and prints our answer (or the error, exit code 1).

use std::io::Read;
use std::time::Instant;

use nutshell_peer::dtls::cert::Certificate;
use nutshell_peer::*;

fn core() -> PeerConnection {
    let cert = Certificate::generate().expect("certificate");
    let cfg = PeerConfig {
        include_loopback: true,
        seed: 42,
        ..PeerConfig::new(cert)
    };
    let mut pc = PeerConnection::new(cfg, Instant::now());
    pc.add_local_socket("127.0.0.1:5000".parse().expect("addr"))
        .expect("socket");
    pc
}

fn stdin() -> String {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).expect("stdin");
    s
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "offer" | "apply-answer" => {
            let mut pc = core();
            pc.add_track(MediaKind::Audio, "nutshell").expect("track");
            pc.add_track(MediaKind::Video, "nutshell").expect("track");
            let offer = pc.create_offer().expect("offer");
            pc.set_local_description(SdpType::Offer, &offer)
                .expect("local offer");
            if mode == "offer" {
                print!("{offer}");
            } else {
                match pc.set_remote_description(SdpType::Answer, &stdin()) {
                    Ok(()) => println!("ok"),
                    Err(e) => println!("error: {e}"),
                }
            }
        }
        "answer" => {
            let mut pc = core();
            if let Err(e) = pc.set_remote_description(SdpType::Offer, &stdin()) {
                println!("error: {e}");
                std::process::exit(1);
            }
            pc.add_track(MediaKind::Audio, "nutshell").expect("track");
            pc.add_track(MediaKind::Video, "nutshell").expect("track");
            let answer = pc.create_answer().expect("answer");
            pc.set_local_description(SdpType::Answer, &answer)
                .expect("local answer");
            print!("{answer}");
        }
        _ => {
            eprintln!("usage: jsep_tool offer | apply-answer | answer");
            std::process::exit(2);
        }
    }
}
