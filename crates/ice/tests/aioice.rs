//! Interop with aioice (the ICE agent of aiortc) over UDP inside a network namespace this
//! test creates: the `ice` example on one end of a veth pair, aioice on the other, both in
//! the namespace (aioice never gathers 127.0.0.1). Both roles, and both agents claiming the
//! same role (role conflict).
//!
//! Needs root (`ip netns`) and `pip install aioice`; hence `#[ignore]`:
//! `cargo build -p nutshell-ice --example ice && cargo test -p nutshell-ice --test aioice -- --ignored`

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// A namespace with lo and a veth pair (both ends inside), deleted on drop.
struct Netns {
    name: String,
}

fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().expect("run ip");
    assert!(st.success(), "ip {args:?} failed");
}

impl Netns {
    fn new(name: String, subnet: u8) -> Netns {
        let _ = Command::new("ip")
            .args(["netns", "del", &name])
            .stderr(Stdio::null())
            .status();
        ip(&["netns", "add", &name]);
        let ns = Netns { name };
        let n = ns.name.as_str();
        ip(&["-n", n, "link", "set", "lo", "up"]);
        ip(&[
            "-n", n, "link", "add", "v0", "type", "veth", "peer", "name", "v1",
        ]);
        ip(&[
            "-n",
            n,
            "addr",
            "add",
            &format!("10.77.{subnet}.1/24"),
            "dev",
            "v0",
        ]);
        ip(&[
            "-n",
            n,
            "addr",
            "add",
            &format!("10.77.{subnet}.2/24"),
            "dev",
            "v1",
        ]);
        ip(&["-n", n, "link", "set", "v0", "up"]);
        ip(&["-n", n, "link", "set", "v1", "up"]);
        ns
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A child whose stdout lines arrive on a channel; killed on drop.
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    name: &'static str,
}

impl Proc {
    fn spawn(mut cmd: Command, name: &'static str) -> Proc {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proc {
            child,
            stdin,
            lines,
            name,
        }
    }

    fn line(&self, what: &str) -> String {
        let l = self
            .lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{}: no {what} line: {e}", self.name));
        eprintln!("{} > {l}", self.name);
        l
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stdin.take();
        std::thread::sleep(Duration::from_millis(100));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn example_binary() -> PathBuf {
    // target/<profile>/deps/aioice-… -> target/<profile>/examples/ice
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().unwrap().parent().unwrap();
    let bin = profile.join("examples").join("ice");
    if !bin.exists() {
        let st = Command::new(env!("CARGO"))
            .args(["build", "-p", "nutshell-ice", "--example", "ice"])
            .status()
            .unwrap();
        assert!(st.success(), "building the ice example failed");
    }
    assert!(
        bin.exists(),
        "{} missing: cargo build -p nutshell-ice --example ice",
        bin.display()
    );
    bin
}

fn driver() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/aioice/driver.py")
}

/// Runs one case: nutshell with `ours`, aioice with `theirs`.
fn case(index: u8, ours: &str, theirs: &str) {
    let ns = Netns::new(
        format!("nutshell-ice-{}-{index}", std::process::id()),
        100 + index,
    );
    let our_ip = format!("10.77.{}.1", 100 + index);
    let their_ip = format!("10.77.{}.2", 100 + index);

    let mut rust = ns.command(example_binary().to_str().unwrap());
    rust.args([
        "--role",
        ours,
        "--bind",
        &format!("{our_ip}:0"),
        "--seed",
        &index.to_string(),
    ]);
    let mut rust = Proc::spawn(rust, "nutshell");
    let mut py = ns.command("python3");
    py.args([
        driver().to_str().unwrap(),
        "--role",
        theirs,
        "--bind",
        &their_ip,
    ]);
    let mut py = Proc::spawn(py, "aioice");

    let our_params = rust.line("parameters");
    let their_params = py.line("parameters");
    assert!(our_params.contains(&our_ip), "{our_params}");
    assert!(their_params.contains(&their_ip), "{their_params}");
    rust.send(&their_params);
    py.send(&our_params);

    let selected = rust.line("selected");
    assert!(selected.starts_with("{\"selected\""), "{selected}");
    assert!(selected.contains(&format!("{our_ip} ")), "{selected}");
    assert!(selected.contains(&format!("{their_ip} ")), "{selected}");

    let result = loop {
        let l = py.line("result");
        if l.starts_with("{\"result\"") {
            break l;
        }
    };
    assert!(result.contains("\"ok\": true"), "aioice: {result}");
    assert!(result.contains("\"echoes\": 5"), "aioice: {result}");
    assert!(
        result.contains(&their_ip) && result.contains(&our_ip),
        "{result}"
    );

    // Close our stdin: the example reports how many datagrams it echoed.
    rust.stdin.take();
    let done = loop {
        let l = rust.line("done");
        if l.starts_with("{\"done\"") {
            break l;
        }
    };
    assert!(done.contains("\"echoed\":5"), "{done}");
    // Exactly one agent ended controlling (after a role conflict when both claimed the same).
    let aioice_controlling = result.contains("\"controlling\": true");
    let ours_controlling = done.contains("\"role\":\"controlling\"");
    assert_ne!(aioice_controlling, ours_controlling, "{done} / {result}");
    if ours == theirs {
        eprintln!("conflict on {ours}: nutshell controlling = {ours_controlling}");
    } else {
        assert_eq!(ours_controlling, ours == "controlling");
    }
    drop(py);
    drop(rust);
    drop(ns);
}

#[test]
#[ignore = "needs root (ip netns) and `pip install aioice`"]
fn aioice_interop() {
    let ok = Command::new("python3")
        .args(["-c", "import aioice"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "aioice is not installed: pip install aioice");
    // nutshell controlling, aioice controlled; and the reverse.
    case(1, "controlling", "controlled");
    case(2, "controlled", "controlling");
    // Role conflicts: both claim the same role.
    case(3, "controlling", "controlling");
    case(4, "controlled", "controlled");
}
