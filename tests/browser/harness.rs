//! The machinery of the browser tests: a network namespace, child processes with line
//! channels, the page server, and the two browsers with their throwaway profiles.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::Netns;

/// The port of the page server inside every namespace (each namespace has its own loopback).
pub const PORT: u16 = 8000;

/// Where a line came from.
#[derive(Debug)]
pub enum Line {
    /// A JSON message of the page (through the server's stdout).
    Page(String),
    /// A line of nutshell's `reflect` on stdout.
    Nutshell(String),
    /// A line of the browser on stdout.
    Browser(String),
    /// A child's stdout closed.
    Closed(&'static str),
}

/// A child in its own process group whose stdout lines go to a channel and whose stderr is
/// kept (and copied to a log file); the whole group is killed on drop.
pub struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<String>>,
    stderr_thread: Option<std::thread::JoinHandle<()>>,
    pub name: &'static str,
}

impl Proc {
    pub fn spawn(
        mut cmd: Command,
        name: &'static str,
        lines: Sender<Line>,
        wrap: fn(String) -> Line,
        log: &Path,
    ) -> Proc {
        let mut child = cmd
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        let stdout = child.stdout.take().expect("piped");
        let mut err = child.stderr.take().expect("piped");
        let stderr = Arc::new(Mutex::new(String::new()));
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(wrap(line)).is_err() {
                    return;
                }
            }
            let _ = lines.send(Line::Closed(name));
        });
        let keep = stderr.clone();
        let mut file = std::fs::File::create(log).expect("create log file");
        let stderr_thread = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let _ = file.write_all(&buf[..n]);
                let mut s = keep.lock().unwrap_or_else(|p| p.into_inner());
                // Keep the tail only: a debug log can be large.
                if s.len() > 4 << 20 {
                    let cut = s.len() - (1 << 20);
                    let cut = (cut..s.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(0);
                    s.drain(..cut);
                }
                s.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdin = child.stdin.take();
        Proc {
            child,
            stdin,
            stderr,
            stderr_thread: Some(stderr_thread),
            name,
        }
    }

    pub fn send(&mut self, line: &str) {
        if let Some(stdin) = self.stdin.as_mut()
            && writeln!(stdin, "{line}")
                .and_then(|()| stdin.flush())
                .is_err()
        {
            eprintln!("{}: stdin closed", self.name);
        }
    }

    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// Waits up to `timeout` for the child to exit by itself; then its whole stderr.
    pub fn wait_exit(&mut self, timeout: Duration) -> (Option<std::process::ExitStatus>, String) {
        let deadline = std::time::Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(st)) => break Some(st),
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                _ => break None,
            }
        };
        if status.is_some()
            && let Some(t) = self.stderr_thread.take()
        {
            let _ = t.join();
        }
        let s = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        (status, s.clone())
    }

    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stdin.take();
        if let Ok(None) = self.child.try_wait() {
            // The group: browsers fork renderers, GPU and network processes.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The browsers under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    Chromium,
    Firefox,
}

const CHROMIUM: &str = "/usr/lib/chromium/chromium";
const FIREFOX: &str = "/usr/lib/firefox-esr/firefox-esr";

impl Browser {
    pub fn name(self) -> &'static str {
        match self {
            Browser::Chromium => "chromium",
            Browser::Firefox => "firefox",
        }
    }

    /// Panics with the install command when the browser is missing.
    pub fn check_installed(self) {
        let (bin, pkg) = match self {
            Browser::Chromium => (CHROMIUM, "chromium"),
            Browser::Firefox => (FIREFOX, "firefox-esr"),
        };
        assert!(
            Path::new(bin).exists(),
            "{bin} missing: apt-get install -y {pkg}"
        );
        assert!(
            Command::new("node")
                .arg("--version")
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
            "node missing: apt-get install -y nodejs"
        );
    }

    /// The command that opens `url` headless inside `ns`, with a fresh profile under `dir`.
    pub fn command(self, ns: &Netns, dir: &Path, url: &str) -> Command {
        let home = dir.join("home");
        for d in [
            "home",
            "home/.config",
            "home/.cache",
            "home/.local/share",
            "run",
        ] {
            std::fs::create_dir_all(dir.join(d)).expect("create browser dirs");
        }
        let mut cmd = match self {
            Browser::Chromium => {
                let mut c = ns.command(CHROMIUM);
                c.args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-default-apps",
                    "--disable-extensions",
                    "--no-proxy-server",
                    "--mute-audio",
                    "--use-fake-device-for-media-stream",
                    "--use-fake-ui-for-media-stream",
                    "--autoplay-policy=no-user-gesture-required",
                    "--disable-features=WebRtcHideLocalIpsWithMdns",
                ]);
                c.arg(format!(
                    "--user-data-dir={}",
                    dir.join("chromium-profile").display()
                ));
                c.arg(url);
                c
            }
            Browser::Firefox => {
                let profile = dir.join("firefox-profile");
                std::fs::create_dir_all(&profile).expect("create profile");
                let perms = dir.join("permissions");
                std::fs::write(
                    &perms,
                    format!(
                        "origin\tcamera\t1\thttp://127.0.0.1:{PORT}\n\
                         origin\tmicrophone\t1\thttp://127.0.0.1:{PORT}\n"
                    ),
                )
                .expect("write permissions");
                std::fs::write(profile.join("user.js"), firefox_prefs(&perms))
                    .expect("write user.js");
                let mut c = ns.command(FIREFOX);
                c.args(["--headless", "--no-remote", "--new-instance", "--profile"])
                    .arg(&profile)
                    .arg(url);
                c.env("MOZ_HEADLESS", "1")
                    .env("MOZ_CRASHREPORTER_DISABLE", "1")
                    .env("MOZ_DISABLE_AUTO_SAFE_MODE", "1")
                    .env("MOZ_REMOTE_SETTINGS_DEVTOOLS", "1");
                c
            }
        };
        cmd.env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_RUNTIME_DIR", dir.join("run"));
        cmd
    }
}

/// Firefox's user.js: fake media, real host addresses, no ICE servers, camera/microphone
/// permission for the page (without it Firefox gathers only on the default route's interface,
/// and the namespace has none), and every background service off or pointed at a local 404.
fn firefox_prefs(perms: &Path) -> String {
    let nowhere = format!("http://127.0.0.1:{PORT}/404");
    let mut p: Vec<(&str, String)> = vec![
        ("media.navigator.streams.fake", "true".into()),
        ("media.navigator.permission.disabled", "true".into()),
        (
            "media.peerconnection.ice.obfuscate_host_addresses",
            "false".into(),
        ),
        ("media.peerconnection.default_iceservers", "\"[]\"".into()),
        ("media.autoplay.default", "0".into()),
        (
            "permissions.manager.defaultsUrl",
            format!("\"file://{}\"", perms.display()),
        ),
        ("app.update.enabled", "false".into()),
        ("app.update.auto", "false".into()),
        ("app.update.disabledForTesting", "true".into()),
        ("app.update.url", format!("\"{nowhere}\"")),
        ("app.normandy.enabled", "false".into()),
        ("app.normandy.api_url", format!("\"{nowhere}\"")),
        ("app.shield.optoutstudies.enabled", "false".into()),
        ("datareporting.healthreport.uploadEnabled", "false".into()),
        ("datareporting.policy.dataSubmissionEnabled", "false".into()),
        ("datareporting.policy.firstRunURL", "\"\"".into()),
        ("toolkit.telemetry.enabled", "false".into()),
        ("toolkit.telemetry.unified", "false".into()),
        ("toolkit.telemetry.archive.enabled", "false".into()),
        ("toolkit.telemetry.server", format!("\"{nowhere}\"")),
        ("browser.ping-centre.telemetry", "false".into()),
        ("network.captive-portal-service.enabled", "false".into()),
        ("network.connectivity-service.enabled", "false".into()),
        ("network.trr.mode", "5".into()),
        ("network.dns.disablePrefetch", "true".into()),
        ("network.prefetch-next", "false".into()),
        ("network.http.speculative-parallel-limit", "0".into()),
        ("network.proxy.type", "0".into()),
        ("dom.push.enabled", "false".into()),
        ("dom.push.serverURL", format!("\"{nowhere}\"")),
        ("browser.safebrowsing.malware.enabled", "false".into()),
        ("browser.safebrowsing.phishing.enabled", "false".into()),
        ("browser.safebrowsing.downloads.enabled", "false".into()),
        ("browser.safebrowsing.blockedURIs.enabled", "false".into()),
        (
            "browser.safebrowsing.provider.google4.updateURL",
            format!("\"{nowhere}\""),
        ),
        (
            "browser.safebrowsing.provider.google.updateURL",
            format!("\"{nowhere}\""),
        ),
        (
            "browser.safebrowsing.provider.mozilla.updateURL",
            format!("\"{nowhere}\""),
        ),
        ("security.OCSP.enabled", "0".into()),
        (
            "security.remote_settings.crlite_filters.enabled",
            "false".into(),
        ),
        ("security.pki.crlite_mode", "0".into()),
        ("services.settings.server", format!("\"{nowhere}\"")),
        ("extensions.update.enabled", "false".into()),
        ("extensions.getAddons.cache.enabled", "false".into()),
        ("extensions.systemAddon.update.enabled", "false".into()),
        (
            "extensions.systemAddon.update.url",
            format!("\"{nowhere}\""),
        ),
        ("media.gmp-manager.url", format!("\"{nowhere}\"")),
        ("media.gmp-gmpopenh264.autoupdate", "false".into()),
        ("media.gmp-manager.updateEnabled", "false".into()),
        ("browser.shell.checkDefaultBrowser", "false".into()),
        (
            "browser.startup.homepage_override.mstone",
            "\"ignore\"".into(),
        ),
        ("browser.aboutwelcome.enabled", "false".into()),
        ("browser.newtabpage.enabled", "false".into()),
        (
            "browser.newtabpage.activity-stream.feeds.telemetry",
            "false".into(),
        ),
        (
            "browser.newtabpage.activity-stream.telemetry",
            "false".into(),
        ),
        ("browser.discovery.enabled", "false".into()),
        (
            "browser.tabs.remote.separatePrivilegedMozillaWebContentProcess",
            "false".into(),
        ),
        ("geo.provider.network.url", format!("\"{nowhere}\"")),
        ("browser.region.network.url", format!("\"{nowhere}\"")),
        ("captivedetect.canonicalURL", format!("\"{nowhere}\"")),
    ];
    p.sort();
    p.iter()
        .map(|(k, v)| format!("user_pref(\"{k}\", {v});\n"))
        .collect()
}

/// The page server (Node) inside `ns`, serving `tests/browser/page.html`; returns once it
/// listens.
pub fn page_server(ns: &Netns, lines: Sender<Line>, log: &Path) -> Proc {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser");
    let mut cmd = ns.command("node");
    cmd.arg(dir.join("server.js"))
        .arg(PORT.to_string())
        .arg(&dir);
    Proc::spawn(cmd, "server", lines, Line::Page, log)
}
