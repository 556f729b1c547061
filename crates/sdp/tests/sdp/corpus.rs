//! Real-world-shaped descriptions: exact round trip and specific typed values.

use std::net::IpAddr;

use nutshell_sdp::*;

use crate::{FIXTURES, fixture};

#[test]
fn every_fixture_round_trips_byte_for_byte() {
    for name in FIXTURES {
        let text = fixture(name);
        let sdp = SessionDescription::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sdp.to_string(), text, "{name} did not round-trip");
        // The owned form is equal and writes the same text.
        let owned = sdp.clone().into_owned();
        assert_eq!(owned, sdp);
        assert_eq!(owned.to_string(), text);
    }
}

#[test]
fn lf_only_input_is_written_back_with_crlf() {
    for name in FIXTURES {
        let crlf = fixture(name);
        let lf = crlf.replace("\r\n", "\n");
        let lf = lf.as_str();
        let sdp = SessionDescription::parse(lf).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sdp.to_string(), crlf, "{name}");
    }
}

#[test]
fn chrome_offer() {
    let text = fixture("chrome_offer.sdp");
    let sdp = SessionDescription::parse(text).unwrap();
    assert!(
        text.len() > 5000,
        "the benchmark input should be a full offer"
    );
    assert_eq!(sdp.origin.session_id, 6745817795757268047);
    assert_eq!(sdp.origin.session_version, 2);
    let bundle: Vec<_> = sdp.bundle_groups().collect();
    assert_eq!(bundle.len(), 1);
    assert_eq!(bundle[0].mids, ["0", "1", "2"]);
    assert_eq!(sdp.media.len(), 3);

    let audio = &sdp.media[0];
    assert_eq!(audio.kind, MediaKind::Audio);
    assert_eq!(audio.port, 50416);
    assert_eq!(audio.protocol, "UDP/TLS/RTP/SAVPF");
    assert_eq!(
        audio.payload_types().collect::<Vec<_>>(),
        [111, 63, 9, 0, 8, 13, 110, 126]
    );
    assert_eq!(audio.mid(), Some("0"));
    assert_eq!(audio.ice_ufrag(), Some("RIgP"));
    assert_eq!(audio.setup(), Some(Setup::ActPass));
    assert_eq!(audio.direction(), Some(Direction::SendRecv));
    assert!(audio.has(&Attribute::RtcpMux));
    let opus = audio.rtpmap(111).unwrap();
    assert_eq!(
        (&*opus.encoding, opus.clock_rate, opus.channels),
        ("opus", 48000, Some(2))
    );
    let fmtp = audio.fmtp(111).unwrap();
    assert_eq!(fmtp.get("minptime"), Some("10"));
    assert_eq!(fmtp.get("useinbandfec"), Some("1"));
    let red = audio.fmtp(63).unwrap();
    let red_params: Vec<_> = red.params().collect();
    assert_eq!(red_params.len(), 1);
    assert_eq!(red_params[0].key, "111/111");
    assert_eq!(red_params[0].value, None);
    let h264 = sdp.media[1].fmtp(106).unwrap();
    let keys: Vec<_> = h264.params().map(|p| p.key).collect();
    assert_eq!(
        keys,
        [
            "level-asymmetry-allowed",
            "packetization-mode",
            "profile-level-id"
        ]
    );
    assert_eq!(h264.get("profile-level-id"), Some("42e01f"));

    let first = audio.candidates().next().unwrap();
    assert_eq!(first.foundation, "1467250027");
    assert_eq!(first.component, 1);
    assert_eq!(first.transport, Transport::Udp);
    assert_eq!(first.priority, 2122260223);
    assert_eq!(first.address, Address::Ip("192.168.1.23".parse().unwrap()));
    assert_eq!(first.port, 50416);
    assert_eq!(first.typ, CandidateType::Host);
    assert_eq!(first.generation, Some(0));
    assert_eq!(first.ufrag.as_deref(), Some("RIgP"));
    assert_eq!(first.network_id, Some(1));
    assert_eq!(first.network_cost, Some(10));
    let srflx = audio.candidates().nth(1).unwrap();
    assert_eq!(srflx.typ, CandidateType::ServerReflexive);
    assert_eq!(srflx.related_port, Some(50416));
    let tcp = audio.candidates().nth(2).unwrap();
    assert_eq!(tcp.transport, Transport::Tcp);
    assert_eq!(tcp.tcp_type, Some(TcpType::Active));

    let fp = audio.fingerprints().next().unwrap();
    assert_eq!(fp.algorithm, HashAlgorithm::Sha256);
    assert_eq!(fp.digest.len(), 32);
    assert_eq!(&fp.digest[..3], &[0x71, 0xE0, 0xFD]);
    assert_eq!(fp.digest[31], 0xE0);

    let video = &sdp.media[1];
    assert_eq!(video.payload_types().count(), 21);
    assert_eq!(video.fmtp(45).unwrap().get("level-idx"), Some("5"));
    let fid = video.ssrc_groups().next().unwrap();
    assert_eq!(fid.semantics, "FID");
    assert_eq!(fid.ssrcs, [3827091285, 3836133734]);
    assert!(
        video
            .rtcp_fbs()
            .any(|fb| fb.payload_type == FeedbackPt::Pt(96)
                && fb.kind == "nack"
                && fb.param.as_deref() == Some("pli"))
    );
    assert!(
        video
            .extmaps()
            .any(|e| e.id == 10 && e.uri == "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id")
    );

    let data = &sdp.media[2];
    assert_eq!(data.kind, MediaKind::Application);
    assert_eq!(data.protocol, "UDP/DTLS/SCTP");
    assert_eq!(data.formats, ["webrtc-datachannel"]);
    assert_eq!(data.sctp_port(), Some(5000));
    assert_eq!(data.max_message_size(), Some(262144));
}

#[test]
fn chrome_answer_has_candidates_only_in_the_first_section() {
    let sdp = SessionDescription::parse(fixture("chrome_answer.sdp")).unwrap();
    assert_eq!(sdp.media.len(), 2);
    assert_eq!(sdp.media[0].setup(), Some(Setup::Active));
    assert_eq!(sdp.media[0].candidates().count(), 3);
    assert_eq!(sdp.media[0].candidates().next().unwrap().port, 61283);
    assert_eq!(sdp.media[1].candidates().count(), 0);
    let ssrcs = &sdp.media[1].ssrc_groups().next().unwrap().ssrcs;
    assert_eq!(ssrcs, &[2400098178, 2856332870]);
}

#[test]
fn firefox_offer() {
    let sdp = SessionDescription::parse(fixture("firefox_offer.sdp")).unwrap();
    assert_eq!(sdp.origin.username, "mozilla...THIS_IS_SDPARTA-99.0");
    assert_eq!(sdp.origin.session_id, 8294920728235707738);
    assert_eq!(sdp.origin.session_version, 0);
    // Fingerprint at session level only.
    assert_eq!(sdp.fingerprints().count(), 1);
    assert!(sdp.media.iter().all(|m| m.fingerprints().count() == 0));
    assert_eq!(sdp.ice_options().collect::<Vec<_>>(), ["trickle"]);
    let Some(Attribute::MsidSemantic(ms)) = sdp.attribute("msid-semantic") else {
        panic!("no msid-semantic");
    };
    assert!(!ms.space_after_colon);
    assert_eq!(ms.ids, ["*"]);

    let audio = &sdp.media[0];
    let ext = audio.extmaps().find(|e| e.id == 2).unwrap();
    assert_eq!(ext.direction, Some(Direction::RecvOnly));
    assert_eq!(ext.uri, "urn:ietf:params:rtp-hdrext:csrc-audio-level");
    assert_eq!(audio.fmtp(109).unwrap().get("stereo"), Some("1"));
    let c = audio.candidates().next().unwrap();
    assert_eq!(c.transport, Transport::Udp);
    assert!(c.transport_uppercase);
    assert_eq!(c.foundation, "0");
    assert_eq!(c.priority, 2122252543);
    assert!(audio.candidates().any(|c| c.component == 2));
    let Some(Attribute::Rtcp(rtcp)) = audio.attribute("rtcp") else {
        panic!("no a=rtcp");
    };
    assert_eq!(rtcp.port, 60219);
    assert_eq!(rtcp.address.as_ref().unwrap().address, "203.0.113.58");
    assert_eq!(
        sdp.media.iter().filter(|m| m.end_of_candidates()).count(),
        3
    );
    assert_eq!(sdp.media[2].max_message_size(), Some(1073741823));
}

#[test]
fn firefox_answer() {
    let sdp = SessionDescription::parse(fixture("firefox_answer.sdp")).unwrap();
    assert!(sdp.media.iter().all(|m| m.setup() == Some(Setup::Active)));
    assert_eq!(sdp.media[0].ice_ufrag(), Some("3cc7165a"));
    let srflx = sdp
        .media
        .iter()
        .flat_map(|m| m.candidates())
        .find(|c| c.typ == CandidateType::ServerReflexive)
        .unwrap();
    assert_eq!(srflx.priority, 1686052863);
    assert_eq!(srflx.address, Address::Ip("203.0.113.91".parse().unwrap()));
    assert_eq!(
        sdp.media[1].payload_types().collect::<Vec<_>>(),
        [96, 97, 98, 99, 106, 107]
    );
}

#[test]
fn safari_offer() {
    let sdp = SessionDescription::parse(fixture("safari_offer.sdp")).unwrap();
    let video = sdp
        .media
        .iter()
        .find(|m| m.kind == MediaKind::Video)
        .unwrap();
    assert_eq!(video.rtpmap(96).unwrap().encoding, "H264");
    assert_eq!(
        video.fmtp(96).unwrap().get("profile-level-id"),
        Some("640c1f")
    );
    assert_eq!(video.rtpmap(100).unwrap().encoding, "H265");
    assert_eq!(video.rtpmap(127).unwrap().encoding, "VP8");
    assert!(sdp.has(&Attribute::ExtmapAllowMixed));
    let all: Vec<_> = sdp.media.iter().flat_map(|m| m.candidates()).collect();
    assert!(
        all.iter()
            .any(|c| c.address.is_mdns() && c.priority == 2113937151)
    );
    assert!(all.iter().any(|c| c.network_cost == Some(999)));
}

#[test]
fn ice_lite_server() {
    let sdp = SessionDescription::parse(fixture("ice_lite_server.sdp")).unwrap();
    assert!(sdp.ice_lite());
    assert_eq!(sdp.session_name, "VideoRoom 1234");
    for m in &sdp.media {
        assert_eq!(m.setup(), Some(Setup::Passive));
        let cands: Vec<_> = m.candidates().collect();
        assert_eq!(cands.len(), 1);
        assert_eq!(cands[0].priority, 2015363327);
        assert_eq!(cands[0].port, 20462);
        assert!(m.end_of_candidates());
    }
}

#[test]
fn data_channels() {
    let sdp = SessionDescription::parse(fixture("datachannel_only.sdp")).unwrap();
    assert_eq!(sdp.media.len(), 1);
    assert_eq!(sdp.media[0].ice_ufrag(), Some("pTyG"));
    assert_eq!(sdp.media[0].sctp_port(), Some(5000));
    let Some(Attribute::MsidSemantic(ms)) = sdp.attribute("msid-semantic") else {
        panic!("no msid-semantic");
    };
    assert!(ms.space_after_colon && ms.ids.is_empty());

    let legacy = SessionDescription::parse(fixture("legacy_sctpmap.sdp")).unwrap();
    let m = &legacy.media[0];
    assert_eq!((m.port, &*m.protocol), (57431, "DTLS/SCTP"));
    assert_eq!(m.mid(), Some("data"));
    let Some(Attribute::Sctpmap(map)) = m.attribute("sctpmap") else {
        panic!("no sctpmap");
    };
    assert_eq!(
        (map.port, &*map.app, map.streams),
        (5000, "webrtc-datachannel", Some(1024))
    );
}

#[test]
fn simulcast_with_rids() {
    let sdp = SessionDescription::parse(fixture("simulcast_rid.sdp")).unwrap();
    let v0 = &sdp.media[0];
    let ids: Vec<_> = v0.rids().map(|r| &*r.id).collect();
    assert_eq!(ids, ["q", "h", "f"]);
    assert!(v0.rids().all(|r| r.direction == RidDirection::Send));
    let sc = v0.simulcast().unwrap();
    assert_eq!(sc.send.len(), 3);
    assert!(sc.recv.is_empty());

    let v1 = &sdp.media[1];
    let r0 = v1.rids().next().unwrap();
    assert_eq!(r0.get("pt"), Some("96"));
    assert_eq!(r0.get("max-width"), Some("1280"));
    assert_eq!(v1.rids().nth(2).unwrap().get("max-fps"), Some("15"));
    let sc = v1.simulcast().unwrap();
    assert_eq!(sc.send.len(), 2);
    assert_eq!(
        sc.send[1].len(),
        2,
        "`~1,2` is one stream with two alternatives"
    );
    assert!(sc.send[1][0].paused);
    assert_eq!(sc.send[1][0].id, "1");
    assert!(!sc.send[1][1].paused);
}

#[test]
fn several_bundle_groups() {
    let sdp = SessionDescription::parse(fixture("multi_bundle.sdp")).unwrap();
    let bundles: Vec<_> = sdp.bundle_groups().map(|g| g.mids.clone()).collect();
    assert_eq!(bundles, [vec!["a0", "v0"], vec!["a1", "v1"]]);
    let ls = sdp.groups().find(|g| g.semantics == "LS").unwrap();
    assert_eq!(ls.mids, ["a0", "v0"]);
    assert_eq!(sdp.media_by_mid("a1").unwrap().ice_ufrag(), Some("OM4V"));
    assert_eq!(sdp.media_by_mid("a1").unwrap().port, 51202);
    let v0 = sdp.media_by_mid("v0").unwrap();
    assert_eq!(v0.port, 0);
    assert!(v0.has(&Attribute::BundleOnly));
}

#[test]
fn ipv6_tcp_and_mdns_candidates() {
    let sdp = SessionDescription::parse(fixture("ipv6_tcp_candidates.sdp")).unwrap();
    assert_eq!(sdp.origin.addr_type, "IP6");
    let c: Vec<_> = sdp.media.iter().flat_map(|m| m.candidates()).collect();
    assert_eq!(c.len(), 8);
    let v6: IpAddr = "2001:db8:3c4d:15::1a2f".parse().unwrap();
    assert_eq!(c[0].address, Address::Ip(v6));
    assert_eq!(c[0].port, 49203);
    assert!(c[1].address.is_mdns());
    assert_eq!(
        c[1].address,
        Address::Fqdn("3f1c9e2a-7b4d-4e55-9a61-2c8d0e6b1f70.local".into())
    );
    let tcptypes: Vec<_> = c.iter().filter_map(|c| c.tcp_type).collect();
    assert_eq!(tcptypes, [TcpType::Active, TcpType::Passive, TcpType::So]);
    let last = c.last().unwrap();
    assert_eq!(last.typ, CandidateType::Relay);
    assert_eq!(last.related_address, Some(Address::Ip(v6)));
    assert_eq!(last.related_port, Some(49203));
    assert_eq!(last.extensions, [("x-custom".into(), "foo".into())]);
    let conn = sdp
        .connection
        .as_ref()
        .or(sdp.media[0].connections.first())
        .unwrap();
    assert_eq!((&*conn.addr_type, &*conn.address), ("IP6", "::"));
}

#[test]
fn plan_b() {
    let sdp = SessionDescription::parse(fixture("planb_legacy.sdp")).unwrap();
    let Some(Attribute::MsidSemantic(ms)) = sdp.attribute("msid-semantic") else {
        panic!("no msid-semantic");
    };
    assert_eq!(ms.ids, ["stream1", "stream2"]);
    let video = sdp.media_by_mid("video").unwrap();
    let sim = video.ssrc_groups().find(|g| g.semantics == "SIM").unwrap();
    assert_eq!(sim.ssrcs, [1664196064, 881260214, 912746447]);
    assert_eq!(
        video.ssrc_groups().filter(|g| g.semantics == "FID").count(),
        4
    );
    for ssrc in video
        .ssrcs()
        .map(|s| s.ssrc)
        .collect::<std::collections::BTreeSet<_>>()
    {
        let attrs: Vec<_> = video
            .ssrcs()
            .filter(|s| s.ssrc == ssrc)
            .map(|s| &*s.attribute)
            .collect();
        assert_eq!(attrs, ["cname", "msid", "mslabel", "label"], "ssrc {ssrc}");
    }
    assert_eq!(
        sdp.media_by_mid("audio").unwrap().payload_types().count(),
        13
    );
}

#[test]
fn every_rfc8866_line_type() {
    let sdp = SessionDescription::parse(fixture("full_rfc8866.sdp")).unwrap();
    assert_eq!(sdp.origin.username, "mhandley");
    assert_eq!(sdp.session_name, "Quarterly Architecture Review");
    assert!(sdp.information.is_some() && sdp.uri.is_some());
    assert_eq!(sdp.emails.len(), 2);
    assert_eq!(sdp.phones, ["+1 617 555-0142"]);
    let c = sdp.connection.as_ref().unwrap();
    assert_eq!(
        (&*c.address, c.ttl, c.count),
        ("233.252.0.1", Some(127), Some(3))
    );
    assert_eq!(sdp.bandwidths[0].kind, "CT");
    assert_eq!(sdp.bandwidths[0].value, 384);
    assert_eq!(sdp.times.len(), 2);
    let r = &sdp.times[1].repeats[0];
    assert_eq!(
        r.interval,
        TypedTime {
            value: 7,
            unit: Some(TimeUnit::Days)
        }
    );
    assert_eq!(r.interval.seconds(), 604800);
    assert_eq!(r.offsets[1].seconds(), 25 * 3600);
    assert_eq!(sdp.time_zones.len(), 2);
    assert_eq!(sdp.time_zones[0].adjustment_time, 2882844526);
    assert_eq!(sdp.time_zones[0].offset.seconds(), -3600);
    assert!(sdp.key.as_deref().unwrap().starts_with("clear:"));
    assert_eq!(sdp.direction(), Some(Direction::RecvOnly));
    assert_eq!(sdp.other_attribute("tool"), Some(Some("sdpgen 2.4")));

    let audio = &sdp.media[0];
    assert_eq!(audio.connections.len(), 2);
    assert_eq!(audio.connections[1].ttl, Some(127));
    assert!(audio.attributes.contains(&Attribute::Ptime(20.0)));
    assert!(audio.attributes.contains(&Attribute::MaxPtime(40.0)));
    let video = &sdp.media[1];
    assert_eq!((video.port, video.port_count), (51372, Some(2)));
    assert_eq!(video.protocol, "RTP/AVP");
    assert!(video.attributes.contains(&Attribute::Framerate(29.97)));
    assert!(video.key.is_some() && video.information.is_some());
}

#[test]
fn descriptions_are_easy_to_build_and_edit() {
    let mut sdp = SessionDescription::new(42);
    sdp.push(Attribute::Group(Group {
        semantics: "BUNDLE".into(),
        mids: vec!["0".into()],
    }));
    let mut audio =
        MediaDescription::new(MediaKind::Audio, 9, "UDP/TLS/RTP/SAVPF", vec!["111".into()]);
    audio.connections.push(Connection {
        net_type: "IN".into(),
        addr_type: "IP4".into(),
        address: "0.0.0.0".into(),
        ttl: None,
        count: None,
    });
    let ufrag = String::from("abcd");
    audio
        .push(Attribute::Mid("0".into()))
        .push(Attribute::IceUfrag(ufrag.into()))
        .push(Attribute::Rtpmap(Rtpmap {
            payload_type: 111,
            encoding: "opus".into(),
            clock_rate: 48000,
            channels: Some(2),
        }))
        .push(Attribute::Candidate(Box::new(Candidate::host(
            "1",
            1,
            Transport::Udp,
            2130706431,
            Address::Ip("127.0.0.1".parse().unwrap()),
            5000,
        ))));
    audio.set_direction(Direction::SendOnly);
    audio.set_direction(Direction::RecvOnly);
    sdp.media.push(audio);
    let text = sdp.to_string();
    assert_eq!(
        text,
        "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
         m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:abcd\r\n\
         a=rtpmap:111 opus/48000/2\r\n\
         a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\na=recvonly\r\n"
    );
    assert_eq!(SessionDescription::parse(&text).unwrap(), sdp);

    sdp.media[0].remove_attributes(|a| matches!(a, Attribute::Candidate(_)));
    assert_eq!(sdp.media[0].candidates().count(), 0);
}

#[test]
fn lone_trickle_candidates() {
    let chrome = "candidate:3450148646 1 tcp 1518280447 192.168.1.23 9 typ host tcptype active generation 0 ufrag RIgP network-id 1 network-cost 10";
    let c = Candidate::parse(chrome).unwrap();
    assert_eq!(c.tcp_type, Some(TcpType::Active));
    assert_eq!(c.to_string(), chrome);
    // With an a= prefix and a line ending, as some applications send them.
    let line = format!("a={chrome}\r\n");
    assert_eq!(Candidate::parse(&line).unwrap(), c);
    let firefox =
        "candidate:1 1 UDP 1686052863 203.0.113.91 58213 typ srflx raddr 192.168.1.5 rport 58213";
    assert_eq!(Candidate::parse(firefox).unwrap().to_string(), firefox);
    let owned: Candidate<'static> = Candidate::parse(firefox).unwrap().into_owned();
    assert_eq!(owned.related_port, Some(58213));
}
