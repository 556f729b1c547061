//! Shared by the interop test binaries (`browser`, `interop`): a throwaway network namespace
//! and the `reflect` example built for the current profile.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// A namespace holding `lo` and a veth pair whose two ends both stay inside it, deleted on
/// drop: nothing a test peer or nutshell sends can leave it.
pub struct Netns {
    /// The namespace's name (`ip netns exec NAME`).
    pub name: String,
    /// The address of `v0`, the other peer's side (a browser or aiortc).
    pub peer_addr: String,
    /// The address of `v1`, the only interface nutshell gathers on.
    pub nutshell_addr: String,
}

fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().expect("run ip");
    assert!(st.success(), "ip {args:?} failed (these tests need root)");
}

impl Netns {
    /// A fresh namespace named `<prefix>-<pid>-<n>` on 10.77.x.0/24, x counted up from
    /// `subnet_base` (keep the bases of concurrently running binaries apart).
    pub fn new(prefix: &str, subnet_base: u8) -> Netns {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let name = format!("{prefix}-{}-{n}", std::process::id());
        let subnet = u32::from(subnet_base) + n % 50;
        ip(&["netns", "add", &name]);
        let ns = Netns {
            name,
            peer_addr: format!("10.77.{subnet}.1"),
            nutshell_addr: format!("10.77.{subnet}.2"),
        };
        let name = ns.name.as_str();
        ip(&["-n", name, "link", "set", "lo", "up"]);
        ip(&[
            "-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1",
        ]);
        let a0 = format!("{}/24", ns.peer_addr);
        let a1 = format!("{}/24", ns.nutshell_addr);
        ip(&["-n", name, "addr", "add", &a0, "dev", "v0"]);
        ip(&["-n", name, "addr", "add", &a1, "dev", "v1"]);
        ip(&["-n", name, "link", "set", "v0", "up"]);
        ip(&["-n", name, "link", "set", "v1", "up"]);
        ns
    }

    /// `program` run inside the namespace.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).arg(program);
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

/// The `reflect` example of the `nutshell` crate, built once per test binary into the same
/// target directory and profile as the test itself.
pub fn reflect_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // target/<profile>/deps/<test>-… -> target/<profile>
        let exe = std::env::current_exe().expect("current exe");
        let profile = exe.parent().and_then(|d| d.parent()).expect("target dir");
        let target = profile.parent().expect("target dir");
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "-q", "-p", "nutshell", "--example", "reflect"])
            .arg("--target-dir")
            .arg(target);
        if profile.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let st = cmd.status().expect("run cargo");
        assert!(
            st.success(),
            "cargo build -p nutshell --example reflect failed"
        );
        let bin = profile.join("examples").join("reflect");
        assert!(bin.exists(), "{} missing", bin.display());
        bin
    })
    .clone()
}
