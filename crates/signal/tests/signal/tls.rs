//! wss:// with a self-signed certificate made by rcgen, end to end.

use nutshell_signal::{Client, ClientTls, Config, Error, Message, ServerTls};

use crate::common::*;

#[tokio::test]
async fn wss_end_to_end_with_a_self_signed_certificate() {
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert = made.cert.pem();
    let key = made.signing_key.serialize_pem();
    let server = start(Config {
        tls: Some(ServerTls::from_pem(cert.as_bytes(), key.as_bytes()).unwrap()),
        ..local()
    })
    .await;
    assert!(server.url().starts_with("wss://127.0.0.1:"));
    let roots = ClientTls::from_root_pem(cert.as_bytes()).unwrap();
    let mut a = Client::connect_tls(server.url(), &roots).await.unwrap();
    let mut b = Client::connect_tls(server.url(), &roots).await.unwrap();
    a.join_as("secure", "a").await.unwrap();
    b.join_as("secure", "b").await.unwrap();
    assert_eq!(recv(&mut a).await, Message::PeerJoined { id: "b".into() });
    b.send(Message::offer("v=0")).await.unwrap();
    assert_eq!(recv(&mut a).await.from(), Some("b"));

    // Without TLS settings, or trusting another certificate: no connection.
    assert!(matches!(
        Client::connect(server.url()).await,
        Err(Error::TlsNeeded)
    ));
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let wrong = ClientTls::from_root_pem(other.cert.pem().as_bytes()).unwrap();
    assert!(Client::connect_tls(server.url(), &wrong).await.is_err());
    // A plain-text client on the TLS port gets nowhere, and the server lives on.
    let plain = server.url().replace("wss://", "ws://");
    assert!(Client::connect(&plain).await.is_err());
    let mut c = Client::connect_tls(server.url(), &roots).await.unwrap();
    c.join("another").await.unwrap();
    server.shutdown().await;
}

#[test]
fn bad_pem_is_an_error() {
    assert!(matches!(
        ServerTls::from_pem(b"nothing", b"nothing"),
        Err(Error::NoCertificate | Error::Pem { .. })
    ));
    let made = rcgen::generate_simple_self_signed(vec!["x".to_string()]).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["y".to_string()]).unwrap();
    // A key that does not belong to the certificate.
    assert!(
        ServerTls::from_pem(
            made.cert.pem().as_bytes(),
            other.signing_key.serialize_pem().as_bytes()
        )
        .is_err()
    );
    assert!(ClientTls::from_root_pem(b"").is_err());
    assert!(matches!(
        ServerTls::from_pem_files("/nonexistent/c.pem".as_ref(), "/nonexistent/k.pem".as_ref()),
        Err(Error::PemFile { .. })
    ));
}
