//! Joining, relaying with `from` ids, notifications, room limits.

use nutshell_signal::protocol::reason as why;
use nutshell_signal::{Client, Config, Error, Message};

use crate::common::*;

#[tokio::test]
async fn two_clients_relay_offer_answer_candidates_and_bye_both_ways() {
    let server = start(local()).await;
    let mut alice = connect(&server).await;
    let mut bob = connect(&server).await;
    let a = alice.join_as("call", "alice").await.unwrap();
    assert_eq!((a.id.as_str(), a.room.as_str()), ("alice", "call"));
    assert!(a.peers.is_empty());
    let b = bob.join("call").await.unwrap();
    assert_eq!(b.peers, vec!["alice".to_string()]);
    assert_eq!(bob.id(), Some(b.id.as_str()));
    assert_eq!(
        recv(&mut alice).await,
        Message::PeerJoined { id: b.id.clone() }
    );

    alice.send(Message::offer("v=0\r\noffer")).await.unwrap();
    assert_eq!(
        recv(&mut bob).await,
        Message::Offer {
            sdp: "v=0\r\noffer".into(),
            to: None,
            from: Some("alice".into())
        }
    );
    bob.send(Message::Answer {
        sdp: "v=0\r\nanswer".into(),
        to: Some("alice".into()),
        from: None,
    })
    .await
    .unwrap();
    assert_eq!(
        recv(&mut alice).await,
        Message::Answer {
            sdp: "v=0\r\nanswer".into(),
            to: None,
            from: Some(b.id.clone())
        }
    );

    candidates(&mut alice, &mut bob, "alice").await;
    candidates(&mut bob, &mut alice, &b.id).await;

    // Bye is relayed, then the sender leaves; it may join again.
    bob.send(Message::Bye {
        to: None,
        from: None,
    })
    .await
    .unwrap();
    assert_eq!(
        recv(&mut alice).await,
        Message::Bye {
            to: None,
            from: Some(b.id.clone())
        }
    );
    assert_eq!(
        recv(&mut alice).await,
        Message::PeerLeft { id: b.id.clone() }
    );
    alice.send(Message::offer("again")).await.unwrap();
    quiet(&mut bob).await;
    let b2 = bob.join_as("call", "bob").await.unwrap();
    assert_eq!(b2.peers, vec!["alice".to_string()]);
    assert_eq!(
        recv(&mut alice).await,
        Message::PeerJoined { id: "bob".into() }
    );
    alice.send(Message::offer("third")).await.unwrap();
    assert_eq!(recv(&mut bob).await.from(), Some("alice"));
    server.shutdown().await;
}

/// `sender` trickles a candidate and end-of-candidates; `receiver` gets both from `from`.
async fn candidates(sender: &mut Client, receiver: &mut Client, from: &str) {
    let line = "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host";
    sender.send(Message::candidate(line, "0", 0)).await.unwrap();
    let end = Message::Candidate {
        candidate: None,
        sdp_mid: Some("0".into()),
        sdp_m_line_index: Some(0),
        username_fragment: None,
        to: None,
        from: None,
    };
    sender.send(end).await.unwrap();
    match recv(receiver).await {
        Message::Candidate {
            candidate,
            sdp_mid,
            sdp_m_line_index,
            from: f,
            ..
        } => {
            assert_eq!(candidate.as_deref(), Some(line));
            assert_eq!(sdp_mid.as_deref(), Some("0"));
            assert_eq!(sdp_m_line_index, Some(0));
            assert_eq!(f.as_deref(), Some(from));
        }
        other => panic!("{other:?}"),
    }
    let eoc = recv(receiver).await;
    assert!(eoc.is_end_of_candidates(), "{eoc:?}");
    assert_eq!(eoc.from(), Some(from));
}

#[tokio::test]
async fn room_full_then_free_again_after_a_member_disconnects() {
    let server = start(local()).await;
    let mut a = connect(&server).await;
    let mut b = connect(&server).await;
    let mut c = connect(&server).await;
    a.join_as("r", "a").await.unwrap();
    b.join_as("r", "b").await.unwrap();
    assert_eq!(recv(&mut a).await, Message::PeerJoined { id: "b".into() });
    match c.join_as("r", "c").await {
        Err(Error::Refused { reason, detail }) => {
            assert_eq!(reason, why::ROOM_FULL);
            assert!(detail.unwrap().contains('2'));
        }
        other => panic!("{other:?}"),
    }
    // Another room is fine.
    c.join("other").await.unwrap();
    c.send(Message::Bye {
        to: None,
        from: None,
    })
    .await
    .unwrap();

    drop(b);
    assert_eq!(recv(&mut a).await, Message::PeerLeft { id: "b".into() });
    let joined = c.join_as("r", "c").await.unwrap();
    assert_eq!(joined.peers, vec!["a".to_string()]);
    assert_eq!(recv(&mut a).await, Message::PeerJoined { id: "c".into() });
    server.shutdown().await;
}

#[tokio::test]
async fn three_members_broadcast_and_address_by_id() {
    let server = start(Config {
        max_peers_per_room: 3,
        ..local()
    })
    .await;
    let mut a = connect(&server).await;
    let mut b = connect(&server).await;
    let mut c = connect(&server).await;
    a.join_as("r", "a").await.unwrap();
    b.join_as("r", "b").await.unwrap();
    let joined = c.join_as("r", "c").await.unwrap();
    assert_eq!(joined.peers, vec!["a".to_string(), "b".to_string()]);
    assert_eq!(recv(&mut a).await, Message::PeerJoined { id: "b".into() });
    assert_eq!(recv(&mut a).await, Message::PeerJoined { id: "c".into() });
    assert_eq!(recv(&mut b).await, Message::PeerJoined { id: "c".into() });

    // No `to`: every other member.
    c.send(Message::offer("all")).await.unwrap();
    assert_eq!(recv(&mut a).await.from(), Some("c"));
    assert_eq!(recv(&mut b).await.from(), Some("c"));
    // `to`: only that one.
    c.send(Message::Offer {
        sdp: "just b".into(),
        to: Some("b".into()),
        from: None,
    })
    .await
    .unwrap();
    assert_eq!(recv(&mut b).await.from(), Some("c"));
    quiet(&mut a).await;
    // Unknown `to`, taken id, already joined.
    c.send(Message::Offer {
        sdp: "x".into(),
        to: Some("zed".into()),
        from: None,
    })
    .await
    .unwrap();
    assert_eq!(reason(&recv(&mut c).await), why::NO_SUCH_PEER);
    // Ids are unique per room: "a" is free in another room.
    let mut d = connect(&server).await;
    d.join_as("r2", "a").await.unwrap();
    let mut e = connect(&server).await;
    match e.join_as("r2", "a").await {
        Err(Error::Refused { reason, .. }) => assert_eq!(reason, why::ID_TAKEN),
        other => panic!("{other:?}"),
    }
    match d.join("elsewhere").await {
        Err(Error::Refused { reason, .. }) => assert_eq!(reason, why::ALREADY_JOINED),
        other => panic!("{other:?}"),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn relaying_before_joining_is_refused_and_from_cannot_be_spoofed() {
    let server = start(local()).await;
    let mut a = raw(&server).await;
    raw_send(&mut a, r#"{"type":"offer","sdp":"v=0"}"#).await;
    assert_eq!(reason(&raw_recv(&mut a).await), why::NOT_JOINED);
    raw_send(&mut a, r#"{"type":"join","room":"r","id":"a"}"#).await;
    assert!(matches!(raw_recv(&mut a).await, Message::Joined { .. }));
    let mut b = connect(&server).await;
    b.join("r").await.unwrap();
    raw_recv(&mut a).await; // peer-joined
    raw_send(
        &mut a,
        r#"{"type":"answer","sdp":"v=0","from":"mallory","extra":[1,2]}"#,
    )
    .await;
    assert_eq!(recv(&mut b).await.from(), Some("a"));
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_clients() {
    let server = start(local()).await;
    let mut a = connect(&server).await;
    a.join("r").await.unwrap();
    let addr = server.local_addr();
    tokio::time::timeout(GUARD, server.shutdown())
        .await
        .unwrap();
    assert_eq!(tokio::time::timeout(GUARD, a.recv()).await.unwrap(), None);
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
