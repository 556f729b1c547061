//! Parses the Chrome fixture in a loop (for profilers).
fn main() {
    let text = include_str!("../tests/data/chrome_offer.sdp");
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let mut total = 0;
    for _ in 0..n {
        let sdp = nutshell_sdp::SessionDescription::parse(std::hint::black_box(text)).unwrap();
        total += sdp.media.len();
        if std::env::args().nth(2).is_some() {
            total += std::hint::black_box(sdp.to_string()).len();
        }
    }
    println!("{total}");
}
