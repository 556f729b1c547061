//! Certificates: our self-signed ECDSA P-256 identity, fingerprints, and the peer certificate.
