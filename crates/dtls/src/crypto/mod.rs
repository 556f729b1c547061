//! DTLS 1.2 cryptography on `ring`: PRF, master secrets, record protection, key exchange, export.
