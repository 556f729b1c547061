//! SDP parse and serialize of a full Chrome offer (audio + video + data channel, ~6 KB),
//! nutshell-sdp side by side with webrtc-rs's `sdp` crate and str0m's SDP parser.
//!
//! `cargo bench -p nutshell-benches --bench sdp`

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sdp as nutshell_sdp; // our crate, by its workspace short name

const CHROME_OFFER: &str = include_str!("../../crates/sdp/tests/data/chrome_offer.sdp");

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("sdp_parse_chrome_offer");
    g.throughput(Throughput::Bytes(CHROME_OFFER.len() as u64));
    g.bench_function("nutshell", |b| {
        b.iter(|| nutshell_sdp::SessionDescription::parse(black_box(CHROME_OFFER)).unwrap())
    });
    g.bench_function("sdp (webrtc-rs)", |b| {
        b.iter(|| {
            let mut cursor = Cursor::new(black_box(CHROME_OFFER).as_bytes());
            sdp_oracle::SessionDescription::unmarshal(&mut cursor).unwrap()
        })
    });
    g.bench_function("str0m", |b| {
        b.iter(|| str0m::change::SdpOffer::from_sdp_string(black_box(CHROME_OFFER)).unwrap())
    });
    g.finish();
}

fn serialize(c: &mut Criterion) {
    let ours = nutshell_sdp::SessionDescription::parse(CHROME_OFFER).unwrap();
    let theirs =
        sdp_oracle::SessionDescription::unmarshal(&mut Cursor::new(CHROME_OFFER.as_bytes()))
            .unwrap();
    let str0m = str0m::change::SdpOffer::from_sdp_string(CHROME_OFFER).unwrap();
    let mut g = c.benchmark_group("sdp_serialize_chrome_offer");
    g.throughput(Throughput::Bytes(CHROME_OFFER.len() as u64));
    g.bench_function("nutshell", |b| b.iter(|| black_box(&ours).to_string()));
    g.bench_function("sdp (webrtc-rs)", |b| {
        b.iter(|| black_box(&theirs).marshal())
    });
    g.bench_function("str0m", |b| b.iter(|| black_box(&str0m).to_sdp_string()));
    g.finish();
}

criterion_group!(benches, parse, serialize);
criterion_main!(benches);
