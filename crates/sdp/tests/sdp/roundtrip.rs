//! Round-trip properties: generated descriptions survive serialize → parse unchanged, and any
//! text the parser accepts reparses to the same model after serialization.

use std::borrow::Cow;
use std::net::IpAddr;

use nutshell_sdp::*;
use proptest::prelude::*;

use crate::{FIXTURES, fixture};

fn token() -> impl Strategy<Value = Cow<'static, str>> {
    "[a-zA-Z0-9+/]{1,12}".prop_map(Cow::Owned)
}

fn text() -> impl Strategy<Value = Cow<'static, str>> {
    // Free text for s=, i= and verbatim values: printable ASCII, spaces inside.
    "[!-~]([ -~]{0,20}[!-~])?".prop_map(Cow::Owned)
}

fn param_key() -> impl Strategy<Value = Cow<'static, str>> {
    "[a-z][a-z0-9-]{0,10}".prop_map(Cow::Owned)
}

fn params() -> impl Strategy<Value = Vec<FmtpParam<'static>>> {
    prop::collection::vec(
        (
            param_key(),
            prop::option::of("[a-zA-Z0-9,.-]{1,8}".prop_map(Cow::Owned)),
        )
            .prop_map(|(key, value)| FmtpParam { key, value }),
        0..5,
    )
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u16; 8]>().prop_map(IpAddr::from),
    ]
}

fn address() -> impl Strategy<Value = Address<'static>> {
    prop_oneof![
        3 => ip().prop_map(Address::Ip),
        1 => "[0-9a-f]{8}-[0-9a-f]{4}\\.local".prop_map(|s| Address::Fqdn(s.into())),
    ]
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive),
    ]
}

fn candidate() -> impl Strategy<Value = Candidate<'static>> {
    let head = (
        "[a-zA-Z0-9+/]{1,32}",
        1u16..3,
        prop_oneof![
            Just((Transport::Udp, false)),
            Just((Transport::Udp, true)),
            Just((Transport::Tcp, false)),
            Just((Transport::Tcp, true)),
        ],
        any::<u32>(),
        address(),
        any::<u16>(),
        prop_oneof![
            Just(CandidateType::Host),
            Just(CandidateType::ServerReflexive),
            Just(CandidateType::PeerReflexive),
            Just(CandidateType::Relay),
        ],
    );
    let tail = (
        prop::option::of(address()),
        prop::option::of(any::<u16>()),
        prop::option::of(prop_oneof![
            Just(TcpType::Active),
            Just(TcpType::Passive),
            Just(TcpType::So)
        ]),
        prop::option::of(any::<u32>()),
        prop::option::of(token()),
        prop::option::of(any::<u32>()),
        prop::option::of(any::<u32>()),
        prop::collection::vec(("x-[a-z]{1,6}", "[a-z0-9]{1,6}"), 0..2),
    );
    (head, tail).prop_map(
        |(
            (foundation, component, (transport, upper), priority, address, port, typ),
            (raddr, rport, tcp_type, generation, ufrag, network_id, network_cost, ext),
        )| {
            let mut c = Candidate::host(foundation, component, transport, priority, address, port);
            c.transport_uppercase = upper;
            c.typ = typ;
            c.related_address = raddr;
            c.related_port = rport;
            c.tcp_type = tcp_type;
            c.generation = generation;
            c.ufrag = ufrag;
            c.network_id = network_id;
            c.network_cost = network_cost;
            c.extensions = ext.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
            c
        },
    )
}

fn simulcast_streams() -> impl Strategy<Value = SimulcastStreams<'static>> {
    prop::collection::vec(
        prop::collection::vec(
            ("[a-z0-9]{1,4}", any::<bool>()).prop_map(|(id, paused)| SimulcastRid {
                id: id.into(),
                paused,
            }),
            1..3,
        ),
        1..4,
    )
}

fn decimal() -> impl Strategy<Value = f64> {
    (1u32..1000, prop::option::of(0u32..100))
        .prop_map(|(i, f)| f.map_or(f64::from(i), |f| f64::from(i) + f64::from(f) / 100.0))
}

fn attribute() -> impl Strategy<Value = Attribute<'static>> {
    prop_oneof![
        (
            any::<u8>(),
            "[a-zA-Z0-9-]{1,12}",
            any::<u32>(),
            prop::option::of(1u32..9)
        )
            .prop_map(
                |(payload_type, encoding, clock_rate, channels)| Attribute::Rtpmap(Rtpmap {
                    payload_type,
                    encoding: encoding.into(),
                    clock_rate,
                    channels,
                })
            ),
        (any::<u8>(), params())
            .prop_map(|(payload_type, params)| Attribute::Fmtp(Fmtp::new(payload_type, params))),
        (
            prop_oneof![Just(FeedbackPt::Any), any::<u8>().prop_map(FeedbackPt::Pt)],
            param_key(),
            prop::option::of(param_key())
        )
            .prop_map(|(payload_type, kind, param)| Attribute::RtcpFb(RtcpFb {
                payload_type,
                kind,
                param,
            })),
        (any::<u16>(), prop::option::of(ip())).prop_map(|(port, ip)| Attribute::Rtcp(Rtcp {
            port,
            address: ip.map(|ip| Box::new(RtcpAddress {
                net_type: "IN".into(),
                addr_type: if ip.is_ipv4() { "IP4" } else { "IP6" }.into(),
                address: ip.to_string().into(),
            })),
        })),
        Just(Attribute::RtcpMux),
        Just(Attribute::RtcpMuxOnly),
        Just(Attribute::RtcpRsize),
        (
            1u16..4352,
            prop::option::of(direction()),
            "urn:[a-z:-]{1,20}",
            prop::option::of(token())
        )
            .prop_map(
                |(id, direction, uri, attributes)| Attribute::Extmap(Extmap {
                    id,
                    direction,
                    uri: uri.into(),
                    attributes,
                })
            ),
        Just(Attribute::ExtmapAllowMixed),
        token().prop_map(Attribute::Mid),
        (token(), prop::option::of(token())).prop_map(|(stream_id, track_id)| Attribute::Msid(
            Msid {
                stream_id,
                track_id
            }
        )),
        (prop::collection::vec(token(), 0..3), any::<bool>()).prop_map(|(ids, space)| {
            Attribute::MsidSemantic(MsidSemantic {
                semantic: "WMS".into(),
                ids,
                space_after_colon: space,
            })
        }),
        (token(), prop::collection::vec(token(), 0..4))
            .prop_map(|(semantics, mids)| Attribute::Group(Group { semantics, mids })),
        token().prop_map(Attribute::IceUfrag),
        token().prop_map(Attribute::IcePwd),
        prop::collection::vec(token(), 1..3).prop_map(Attribute::IceOptions),
        Just(Attribute::IceLite),
        (
            prop_oneof![
                Just(HashAlgorithm::Sha1),
                Just(HashAlgorithm::Sha256),
                Just(HashAlgorithm::Sha512)
            ],
            any::<[u8; 64]>()
        )
            .prop_map(|(algorithm, bytes)| {
                let n = algorithm.digest_len().unwrap_or(32);
                Attribute::Fingerprint(Fingerprint {
                    algorithm,
                    digest: bytes[..n].to_vec(),
                })
            }),
        prop_oneof![
            Just(Setup::Active),
            Just(Setup::Passive),
            Just(Setup::ActPass),
            Just(Setup::HoldConn)
        ]
        .prop_map(Attribute::Setup),
        candidate().prop_map(|c| Attribute::Candidate(Box::new(c))),
        Just(Attribute::EndOfCandidates),
        (any::<u32>(), param_key(), prop::option::of(text())).prop_map(
            |(ssrc, attribute, value)| Attribute::Ssrc(Ssrc {
                ssrc,
                attribute,
                value
            })
        ),
        (token(), prop::collection::vec(any::<u32>(), 0..4))
            .prop_map(|(semantics, ssrcs)| Attribute::SsrcGroup(SsrcGroup { semantics, ssrcs })),
        (
            "[a-z0-9]{1,4}",
            prop_oneof![Just(RidDirection::Send), Just(RidDirection::Recv)],
            params()
        )
            .prop_map(|(id, direction, params)| Attribute::Rid(Rid {
                id: id.into(),
                direction,
                params,
            })),
        (
            simulcast_streams(),
            prop::option::of(simulcast_streams()),
            any::<bool>()
        )
            .prop_map(|(a, b, recv_first)| {
                let b = b.unwrap_or_default();
                // The first part written is never empty.
                let (send, recv) = if recv_first { (b, a) } else { (a, b) };
                let recv_first = recv_first && !recv.is_empty();
                Attribute::Simulcast(Simulcast {
                    send,
                    recv,
                    recv_first,
                })
            }),
        any::<u16>().prop_map(Attribute::SctpPort),
        any::<u64>().prop_map(Attribute::MaxMessageSize),
        (any::<u16>(), token(), prop::option::of(any::<u32>()))
            .prop_map(|(port, app, streams)| Attribute::Sctpmap(Sctpmap { port, app, streams })),
        direction().prop_map(Attribute::Direction),
        Just(Attribute::BundleOnly),
        decimal().prop_map(Attribute::Ptime),
        decimal().prop_map(Attribute::MaxPtime),
        decimal().prop_map(Attribute::Framerate),
        ("x-[a-z-]{1,10}", prop::option::of(text())).prop_map(|(name, value)| Attribute::Other {
            name: name.into(),
            value
        }),
    ]
}

fn connection() -> impl Strategy<Value = Connection<'static>> {
    (
        ip(),
        prop::option::of(any::<u8>()),
        prop::option::of(1u32..10),
    )
        .prop_map(|(ip, ttl, count)| Connection {
            net_type: "IN".into(),
            addr_type: if ip.is_ipv4() { "IP4" } else { "IP6" }.into(),
            address: ip.to_string().into(),
            // IPv6 has no TTL, and an IPv4 count needs a TTL before it.
            ttl: if ip.is_ipv4() { ttl } else { None },
            count: if ip.is_ipv4() && ttl.is_none() {
                None
            } else {
                count
            },
        })
}

fn bandwidth() -> impl Strategy<Value = Bandwidth<'static>> {
    (
        prop_oneof![Just("AS"), Just("CT"), Just("TIAS")],
        any::<u64>(),
    )
        .prop_map(|(kind, value)| Bandwidth {
            kind: kind.into(),
            value,
        })
}

fn media() -> impl Strategy<Value = MediaDescription<'static>> {
    (
        prop_oneof![
            Just(MediaKind::Audio),
            Just(MediaKind::Video),
            Just(MediaKind::Application),
            Just(MediaKind::Text),
            Just(MediaKind::Message),
            "x[a-z]{1,5}".prop_map(|s| MediaKind::Other(s.into())),
        ],
        any::<u16>(),
        prop::option::of(1u32..8),
        prop_oneof![
            Just("UDP/TLS/RTP/SAVPF"),
            Just("UDP/DTLS/SCTP"),
            Just("RTP/AVP")
        ],
        prop::collection::vec(token(), 0..6),
        prop::option::of(text()),
        prop::collection::vec(connection(), 0..2),
        prop::collection::vec(bandwidth(), 0..2),
        prop::option::of(text()),
        prop::collection::vec(attribute(), 0..24),
    )
        .prop_map(
            |(
                kind,
                port,
                port_count,
                protocol,
                formats,
                information,
                connections,
                bandwidths,
                key,
                attributes,
            )| {
                let mut m = MediaDescription::new(kind, port, protocol, formats);
                m.port_count = port_count;
                m.information = information;
                m.connections = connections;
                m.bandwidths = bandwidths;
                m.key = key;
                m.attributes = attributes;
                m
            },
        )
}

fn typed_time() -> impl Strategy<Value = TypedTime> {
    (
        -1000i64..1_000_000,
        prop::option::of(prop_oneof![
            Just(TimeUnit::Days),
            Just(TimeUnit::Hours),
            Just(TimeUnit::Minutes),
            Just(TimeUnit::Seconds)
        ]),
    )
        .prop_map(|(value, unit)| TypedTime { value, unit })
}

fn session() -> impl Strategy<Value = SessionDescription<'static>> {
    let head = (
        any::<u64>(),
        any::<u64>(),
        token(),
        text(),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::collection::vec(text(), 0..2),
        prop::collection::vec(text(), 0..2),
        prop::option::of(connection()),
        prop::collection::vec(bandwidth(), 0..2),
    );
    let tail = (
        prop::collection::vec(
            (
                any::<u64>(),
                any::<u64>(),
                prop::collection::vec(
                    (
                        typed_time(),
                        typed_time(),
                        prop::collection::vec(typed_time(), 0..3),
                    ),
                    0..2,
                ),
            ),
            0..3,
        ),
        prop::collection::vec((any::<u64>(), typed_time()), 0..3),
        prop::option::of(text()),
        prop::collection::vec(attribute(), 0..12),
        prop::collection::vec(media(), 0..5),
    );
    (head, tail).prop_map(
        |(
            (id, version, user, name, info, uri, emails, phones, conn, bws),
            (times, zones, key, attributes, media),
        )| {
            let mut sd = SessionDescription::new(id);
            sd.origin.session_version = version;
            sd.origin.username = user;
            sd.session_name = name;
            sd.information = info;
            sd.uri = uri;
            sd.emails = emails;
            sd.phones = phones;
            sd.connection = conn;
            sd.bandwidths = bws;
            sd.times = times
                .into_iter()
                .map(|(start, stop, repeats)| Timing {
                    start,
                    stop,
                    repeats: repeats
                        .into_iter()
                        .map(|(interval, duration, offsets)| Repeat {
                            interval,
                            duration,
                            offsets,
                        })
                        .collect(),
                })
                .collect();
            // Only `t=` lines can carry `r=` lines; without a `t=` drop nothing since none exist.
            sd.time_zones = zones
                .into_iter()
                .map(|(adjustment_time, offset)| TimeZone {
                    adjustment_time,
                    offset,
                })
                .collect();
            sd.key = key;
            sd.attributes = attributes;
            sd.media = media;
            sd
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the model holds (in canonical form), serializing and parsing gives it back.
    #[test]
    fn generated_descriptions_round_trip(sd in session()) {
        let text = sd.to_string();
        let parsed = SessionDescription::parse(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&parsed, &sd, "{}", text);
        // And the text is a fixed point.
        prop_assert_eq!(parsed.to_string(), text);
    }

    /// Lone candidates round-trip as trickle ICE sends them.
    #[test]
    fn generated_candidates_round_trip(c in candidate()) {
        let text = c.to_string();
        prop_assert_eq!(Candidate::parse(&text).unwrap(), c);
    }

    /// Any text the parser accepts (here: fixture lines shuffled, dropped, duplicated and
    /// corrupted) reparses to the same model after serialization.
    #[test]
    fn accepted_text_is_stable(
        file in 0..FIXTURES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..6, "[ -~]{0,6}"), 0..8),
    ) {
        let mut lines: Vec<String> = fixture(FIXTURES[file]).lines().map(str::to_owned).collect();
        for (at, op, junk) in edits {
            let i = at.index(lines.len());
            match op {
                0 => { lines.remove(i); }
                1 => { let l = lines[i].clone(); lines.insert(i, l); }
                2 => lines[i].push_str(&junk),
                3 => { let l = &mut lines[i]; let cut = junk.len().min(l.len()); l.truncate(l.len() - cut); }
                4 => lines[i] = lines[i].replace(' ', &junk),
                _ => lines.insert(i, format!("a={junk}")),
            }
            if lines.is_empty() { break; }
        }
        let text = lines.join("\r\n");
        if let Ok(first) = SessionDescription::parse(&text) {
            let written = first.to_string();
            let second = SessionDescription::parse(&written)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{written}")))?;
            prop_assert_eq!(second, first);
        }
    }
}
