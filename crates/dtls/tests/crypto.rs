//! The key schedule end to end through the public API, as a DTLS 1.2 ECDHE_ECDSA handshake
//! uses it: both sides must derive the same secrets, Finished values, record keys and
//! DTLS-SRTP keying material. (Known-answer vectors live next to the code in
//! `src/crypto/*.rs`.)

use nutshell_dtls::cert::{Certificate, PeerCertificate};
use nutshell_dtls::crypto::{
    CipherSuite, CryptoError, KeyExchange, NamedGroup, PrfHash, Transcript, export_keying_material,
    extended_master_secret, key_block, keylog_line, verify_data,
};

const DTLS12: u16 = 0xFEFD;

#[test]
fn both_sides_derive_the_same_keys() {
    let server_cert = Certificate::generate().unwrap();
    for suite in CipherSuite::ALL {
        for group in NamedGroup::ALL {
            let client_random = [0x11; 32];
            let server_random = [0x22; 32];
            // The transcript exists before the suite is known.
            let mut client_t = Transcript::new(PrfHash::Sha256);
            let mut server_t = Transcript::new(PrfHash::Sha256);
            for t in [&mut client_t, &mut server_t] {
                t.update(b"ClientHello").unwrap();
                t.update(b"ServerHello").unwrap();
                t.set_hash(suite.prf_hash());
            }

            // ServerKeyExchange: the server signs its ECDHE share (RFC 8422 §5.4).
            let (server_kx, server_pub) = KeyExchange::generate(group).unwrap();
            let mut signed = Vec::new();
            signed.extend_from_slice(&client_random);
            signed.extend_from_slice(&server_random);
            signed.extend_from_slice(&[3, 0, group.id() as u8, server_pub.len() as u8]);
            signed.extend_from_slice(&server_pub);
            let (scheme, sig) = server_cert.sign(&signed).unwrap();
            let peer = PeerCertificate::parse(server_cert.der()).unwrap();
            peer.verify(scheme, &signed, &sig).unwrap();

            // ClientKeyExchange.
            let (client_kx, client_pub) = KeyExchange::generate(group).unwrap();
            let client_pre = client_kx.agree(&server_pub).unwrap();
            let server_pre = server_kx.agree(&client_pub).unwrap();
            assert_eq!(client_pre, server_pre);
            for t in [&mut client_t, &mut server_t] {
                t.update(b"Certificate ServerKeyExchange ServerHelloDone ClientKeyExchange")
                    .unwrap();
            }

            // Extended master secret over the session hash (RFC 7627 §4).
            let hash = suite.prf_hash();
            let session_hash = client_t.current();
            assert_eq!(session_hash.len(), hash.output_len());
            assert_eq!(session_hash, server_t.current());
            let master = extended_master_secret(hash, &client_pre, &session_hash);
            assert_eq!(
                master,
                extended_master_secret(hash, &server_pre, &server_t.current())
            );

            // Records: the client seals, the server opens, and the other way round.
            let client_keys = key_block(suite, &master, &client_random, &server_random).unwrap();
            let server_keys = key_block(suite, &master, &client_random, &server_random).unwrap();
            let mut record = b"HEADER_13_BY".to_vec();
            record.push(b'T');
            let start = record.len();
            record.extend_from_slice(b"client Finished");
            client_keys
                .client_write
                .seal(1, 0, 22, DTLS12, &mut record, start)
                .unwrap();
            let frag = &mut record[start..];
            let r = server_keys
                .client_write
                .open(1, 0, 22, DTLS12, frag)
                .unwrap();
            assert_eq!(&frag[r], b"client Finished");

            let mut record = b"server data".to_vec();
            server_keys
                .server_write
                .seal(1, 9, 23, DTLS12, &mut record, 0)
                .unwrap();
            assert_eq!(
                client_keys
                    .client_write
                    .open(1, 9, 23, DTLS12, &mut record.clone()),
                Err(CryptoError::Decrypt)
            );
            let r = client_keys
                .server_write
                .open(1, 9, 23, DTLS12, &mut record)
                .unwrap();
            assert_eq!(&record[r], b"server data");

            // Finished (RFC 5246 §7.4.9).
            let client_vd = verify_data(hash, &master, true, &client_t.current());
            assert_eq!(
                client_vd,
                verify_data(hash, &master, true, &server_t.current())
            );
            assert_ne!(
                client_vd,
                verify_data(hash, &master, false, &client_t.current())
            );

            // DTLS-SRTP keying material (RFC 5764 §4.2).
            let mut a = [0u8; 60];
            let mut b = [0u8; 60];
            export_keying_material(
                hash,
                &master,
                b"EXTRACTOR-dtls_srtp",
                &client_random,
                &server_random,
                &mut a,
            );
            export_keying_material(
                hash,
                &master,
                b"EXTRACTOR-dtls_srtp",
                &client_random,
                &server_random,
                &mut b,
            );
            assert_eq!(a, b);
            assert_ne!(a, [0; 60]);

            let line = keylog_line(&client_random, &master);
            assert_eq!(line.len(), "CLIENT_RANDOM ".len() + 64 + 1 + 96);
        }
    }
}
