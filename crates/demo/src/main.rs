//! # nutshell-demo: a whole WebRTC call, traced
//!
//! `cargo run --release -p nutshell-demo` starts, in one process, a signaling server
//! (nutshell-signal) and a STUN server (nutshell-relay's Binding service) on 127.0.0.1, and
//! two peer connections, client A and client B, as separate tasks that only talk through the
//! signaling server. A adds an audio and a video track and offers; B answers; both trickle
//! their candidates, ICE checks, DTLS and SRTP follow, synthetic Opus and VP8 frames flow
//! both ways, each side sees `on_track`, and A hangs up. Every step is printed as it happens
//! (time since start, who sent what to whom); `--diagram FILE` writes the same run as a
//! Mermaid sequence diagram (and an SVG next to it).
//!
//! With `--role a|b --signal ws://HOST:PORT/ws` one client runs alone against a signaling
//! server, e.g. in two terminals or on two machines, or B answering the browser demo page
//! (`B` then echoes the browser's camera and microphone back).
//!
//! Everything stays on loopback by default: the peers gather only 127.0.0.1.
#![forbid(unsafe_code)]

mod call;
mod cli;
mod stun;
mod trace;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use call::{PeerOptions, PeerReport, connect_time, direction, kb, own_streams};
use cli::{Mode, Options};
use trace::{Actor, Trace};

fn main() -> ExitCode {
    let opts = match cli::parse(std::env::args().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("nutshell-demo: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("nutshell-demo: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match &opts.mode {
            Mode::Local => run_local(&opts).await,
            Mode::Role { .. } => run_role(&opts).await,
            Mode::Serve { addr } => serve(*addr).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nutshell-demo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Both clients, the signaling server and the STUN server in this process.
async fn run_local(opts: &Options) -> Result<(), String> {
    let trace = Trace::new(false);
    println!("nutshell call demo: everything on 127.0.0.1; times since start\n");
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let server = signal::Server::bind(signal::Config {
        listen: loopback,
        ..signal::Config::default()
    })
    .await
    .map_err(|e| format!("signaling server: {e}"))?
    .spawn();
    let url = server.url().to_string();
    trace.note(Actor::Signal, format!("signaling server at {url}"));
    let (stun_addr, stun_task) = stun::start(loopback, trace.clone(), Duration::from_millis(200))
        .await
        .map_err(|e| format!("STUN server: {e}"))?;
    let stun_task = tokio::spawn(stun_task);
    trace.note(
        Actor::Stun,
        format!("STUN server (nutshell-relay Binding service) at udp {stun_addr}"),
    );

    let peer = |me| PeerOptions {
        me,
        signal_url: url.clone(),
        room: opts.room.clone(),
        stun: Some(stun_addr.to_string()),
        interfaces: nutshell::Interfaces::LoopbackOnly,
        seconds: opts.seconds,
        echo: false,
        other_local: true,
    };
    let b = tokio::spawn(call::run_peer(peer(Actor::B), trace.clone()));
    let a = tokio::spawn(call::run_peer(peer(Actor::A), trace.clone()));
    let a = a.await.map_err(|e| format!("client A: {e}"))?;
    // If A failed, B is still waiting for a call: stop it.
    let b = if a.is_err() {
        b.abort();
        Err("client B stopped".to_string())
    } else {
        match tokio::time::timeout(Duration::from_secs(10), b).await {
            Ok(r) => r.map_err(|e| format!("client B: {e}"))?,
            Err(_) => Err("client B did not finish".to_string()),
        }
    };
    stun_task.abort();
    server.shutdown().await;
    let a = a?;
    let b = b?;

    println!();
    let both_ways = summary_local(&a, &b);
    write_diagram(opts, &trace)?;
    if both_ways {
        Ok(())
    } else {
        Err("media did not flow both ways".into())
    }
}

/// Prints the summary of an in-process call; returns whether media flowed both ways.
fn summary_local(a: &PeerReport, b: &PeerReport) -> bool {
    println!("Summary");
    println!(
        "  time to connected: A {}; B {}",
        connect_time(a),
        connect_time(b)
    );
    let mut both = true;
    if let (Some(sa), Some(sb)) = (&a.stats, &b.stats) {
        for (from, to, name) in [(sa, sb, "A → B"), (sb, sa, "B → A")] {
            let rows = direction(from, to);
            let mut received = 0;
            for (kind, sp, sbytes, rp, rbytes) in &rows {
                received += rp;
                println!(
                    "  {name} {:<5}: {sp} packets / {} sent, {rp} packets / {} received",
                    format!("{kind:?}").to_lowercase(),
                    kb(*sbytes),
                    kb(*rbytes)
                );
            }
            if received == 0 {
                println!("  {name}: no media received");
                both = false;
            }
        }
        println!(
            "  DTLS cipher: {}",
            sa.peer.dtls_cipher.as_deref().unwrap_or("none")
        );
        println!(
            "  SRTP profile: {}",
            sa.peer.srtp_profile.as_deref().unwrap_or("none")
        );
        if let Some((l, r)) = sa.peer.selected_pair {
            println!("  selected pair (A): {l} ⇄ {r}");
        }
        let dtls = match a.dtls_client {
            Some(true) => "A is the DTLS client (a=setup:active in its description), B the server",
            Some(false) => "B is the DTLS client (a=setup:active in its answer), A the server",
            None => "DTLS roles unknown",
        };
        println!("  {dtls}");
        println!(
            "  datagrams: A sent {} / received {}, B sent {} / received {}",
            sa.datagrams_sent, sa.datagrams_received, sb.datagrams_sent, sb.datagrams_received
        );
    } else {
        println!("  no stats");
        both = false;
    }
    println!(
        "  media: {}",
        if both { "both ways" } else { "NOT both ways" }
    );
    println!(
        "  (no separate srflx candidate: on loopback the STUN server maps each client to its\n   \
         own host address, and ICE drops a srflx candidate equal to its base, RFC 8445 §5.1.3)"
    );
    both
}

/// The signaling server (and page) and the STUN server, until Ctrl-C or SIGTERM.
async fn serve(addr: SocketAddr) -> Result<(), String> {
    let trace = Trace::new(false);
    let server = signal::Server::bind(signal::Config {
        listen: addr,
        ..signal::Config::default()
    })
    .await
    .map_err(|e| format!("signaling server on {addr}: {e}"))?;
    let local = server.local_addr();
    let url = server.url();
    let server = server.spawn();
    let (stun_addr, stun_task) = stun::start(local, trace.clone(), Duration::ZERO)
        .await
        .map_err(|e| format!("STUN server on udp {local}: {e}"))?;
    let stun_task = tokio::spawn(stun_task);
    println!("browser demo page: http://{local}/?room=demo");
    println!("signaling:         {url}");
    println!("STUN:              udp {stun_addr}");
    println!(
        "answer calls with: nutshell-demo --role b --signal {url} --interfaces all --keep-answering\n\
         (browsers gather no loopback candidates: the nutshell peer must share a real interface)\n"
    );
    shutdown_signal().await;
    stun_task.abort();
    server.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C, or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// One client against a signaling server elsewhere.
async fn run_role(opts: &Options) -> Result<(), String> {
    let Mode::Role {
        me,
        signal_url,
        stun,
        interfaces,
        keep_answering,
    } = &opts.mode
    else {
        return Err("not a role".into());
    };
    let trace = Trace::new(false);
    println!(
        "nutshell call demo, client {} in room {:?} at {signal_url}; times since start\n",
        me.name(),
        opts.room
    );
    let peer = PeerOptions {
        me: *me,
        signal_url: signal_url.clone(),
        room: opts.room.clone(),
        stun: stun.clone(),
        interfaces: interfaces.clone(),
        seconds: opts.seconds,
        echo: *me == Actor::B,
        other_local: false,
    };
    if *keep_answering && *me == Actor::B {
        loop {
            if let Err(e) = role_call(opts, peer.clone(), &trace).await {
                println!("call failed: {e}");
            }
            println!("\nwaiting for the next call (Ctrl-C to stop)\n");
        }
    }
    role_call(opts, peer, &trace).await
}

/// One call in role mode, and its summary.
async fn role_call(opts: &Options, peer: PeerOptions, trace: &Trace) -> Result<(), String> {
    let me = peer.me;
    let report = call::run_peer(peer, trace.clone()).await?;
    println!();
    println!("Summary ({})", me.name());
    println!("  time to connected: {}", connect_time(&report));
    let mut received = 0;
    if let Some(s) = &report.stats {
        let streams = own_streams(s);
        let mut keys: Vec<_> = streams.keys().copied().collect();
        keys.sort();
        for key in keys {
            let (p, b) = streams.get(&key).copied().unwrap_or_default();
            let (outbound, kind) = key;
            if !outbound {
                received += p;
            }
            println!(
                "  {} {kind:<5}: {p} packets / {}",
                if outbound { "sent    " } else { "received" },
                kb(b)
            );
        }
        println!(
            "  DTLS cipher: {}",
            s.peer.dtls_cipher.as_deref().unwrap_or("none")
        );
        println!(
            "  SRTP profile: {}",
            s.peer.srtp_profile.as_deref().unwrap_or("none")
        );
        if let Some((l, r)) = s.peer.selected_pair {
            println!("  selected pair: {l} ⇄ {r}");
        }
    }
    let sent_any = report
        .stats
        .as_ref()
        .is_some_and(|s| s.peer.streams.iter().any(|x| x.outbound && x.packets > 0));
    let both = received > 0 && sent_any;
    println!(
        "  media: {}",
        if both { "both ways" } else { "NOT both ways" }
    );
    write_diagram(opts, trace)?;
    if report.connected_at.is_some() {
        Ok(())
    } else {
        Err("the call never connected".into())
    }
}

/// Writes the Mermaid diagram to the `--diagram` file and the SVG next to it.
fn write_diagram(opts: &Options, trace: &Trace) -> Result<(), String> {
    let Some(path) = &opts.diagram else {
        return Ok(());
    };
    let records = trace.records();
    let (mmd, svg) = if path.extension().is_some_and(|e| e == "svg") {
        (path.with_extension("mmd"), path.clone())
    } else {
        (path.clone(), path.with_extension("svg"))
    };
    let mut text = trace::mermaid(&records);
    if mmd.extension().is_some_and(|e| e == "md") {
        // Markdown (GitHub, many editors) renders a fenced mermaid block as the diagram.
        text = format!("```mermaid\n{text}```\n");
    }
    std::fs::write(&mmd, text).map_err(|e| format!("cannot write {}: {e}", mmd.display()))?;
    std::fs::write(&svg, trace::svg(&records))
        .map_err(|e| format!("cannot write {}: {e}", svg.display()))?;
    println!(
        "\nsequence diagram: {} (Mermaid), {} (SVG)",
        mmd.display(),
        svg.display()
    );
    Ok(())
}
