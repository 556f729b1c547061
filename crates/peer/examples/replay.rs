//! `replay`: feeds a recording (see `PeerConfig::record`) into a fresh core and checks that
//! every output is the one recorded.
//!
//! ```text
//! cargo run -p nutshell-peer --example replay -- FILE [-v] [--no-check] [--corpus DIR]
//! ```
//!
//! - `-v` prints every input and what came out of it.
//! - `--no-check` only feeds the inputs (for recordings edited by hand or by a fuzzer).
//! - `--corpus DIR` also writes the recording's received datagrams and remote descriptions
//!   as seed files for the fuzz targets, one directory per target under `DIR`.
//!
//! Exit status: 0 when the replay matched, 1 when it diverged, 2 on a bad file or usage.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use nutshell_peer::{Recording, Replayer};

fn main() -> ExitCode {
    let mut file = None;
    let mut verbose = false;
    let mut check = true;
    let mut corpus: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-v" | "--verbose" => verbose = true,
            "--no-check" => check = false,
            "--corpus" => corpus = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                eprintln!("usage: replay FILE [-v] [--no-check] [--corpus DIR]");
                return ExitCode::SUCCESS;
            }
            _ if file.is_none() => file = Some(PathBuf::from(a)),
            _ => {
                eprintln!("unexpected argument {a:?}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(file) = file else {
        eprintln!("usage: replay FILE [-v] [--no-check] [--corpus DIR]");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let recording = match Recording::parse(&bytes) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    println!(
        "{}: {} bytes, {} inputs{}",
        file.display(),
        bytes.len(),
        recording.len(),
        if recording.truncated {
            " (truncated: replaying up to the cut)"
        } else {
            ""
        }
    );
    if let Some(dir) = &corpus {
        match write_corpus(&recording, dir) {
            Ok(n) => println!("wrote {n} seed files under {}", dir.display()),
            Err(e) => {
                eprintln!("{}: {e}", dir.display());
                return ExitCode::from(2);
            }
        }
    }
    let mut replayer = Replayer::new(recording, Instant::now(), check);
    while let Some(step) = replayer.step() {
        match step {
            Ok(step) => {
                if verbose {
                    match &step.output {
                        Some(out) => println!("{:>7} {}  =>  {out}", step.index, step.input),
                        None => println!("{:>7} {}", step.index, step.input),
                    }
                }
            }
            Err(e) => {
                println!("DIVERGED: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let s = replayer.summary();
    println!(
        "replayed {} inputs ({} datagrams in, {} out, {} events, {} frames) over {:.3} s of recorded time; {} outputs {}",
        s.inputs,
        s.datagrams_in,
        s.datagrams_out,
        s.events,
        s.frames,
        s.duration.as_secs_f64(),
        s.outputs_checked,
        if check {
            "identical to the recording"
        } else {
            "not checked"
        }
    );
    println!(
        "final state: {:?}, signaling {:?}",
        replayer.peer().connection_state(),
        replayer.peer().signaling_state()
    );
    ExitCode::SUCCESS
}

/// Seeds for the fuzz targets (`fuzz/fuzz_targets`), by what each datagram is (RFC 7983).
fn write_corpus(rec: &Recording, dir: &Path) -> std::io::Result<usize> {
    let mut n = 0;
    let mut put = |target: &str, data: &[u8]| -> std::io::Result<()> {
        let d = dir.join(target);
        std::fs::create_dir_all(&d)?;
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in data {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        std::fs::write(d.join(format!("rec-{h:016x}")), data)?;
        n += 1;
        Ok(())
    };
    for d in rec.received_datagrams() {
        match d.first() {
            Some(0..=3) => {
                put("stun_decode", d)?;
                put("ice_agent", d)?;
            }
            Some(20..=63) => {
                put("dtls_record", d)?;
                put("dtls_server", d)?;
                put("dtls_client", d)?;
            }
            Some(128..=191) => {
                if d.get(1).is_some_and(|b| (192..=223).contains(b)) {
                    put("rtcp_parse", d)?;
                } else {
                    put("rtp_parse", d)?;
                }
                put("srtp_unprotect", d)?;
            }
            _ => {}
        }
    }
    for sdp in rec.remote_descriptions() {
        put("sdp_parse", sdp.as_bytes())?;
        put("peer_sdp", sdp.as_bytes())?;
    }
    Ok(n)
}
