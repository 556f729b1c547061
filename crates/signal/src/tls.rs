//! TLS for `wss://`: rustls with the *ring* provider, certificates and keys in PEM.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::Error;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The server's TLS settings: a certificate chain and its key.
#[derive(Debug, Clone)]
pub struct ServerTls(pub(crate) Arc<rustls::ServerConfig>);

impl ServerTls {
    /// From PEM files: the certificate chain (leaf first) and the private key (PKCS#8,
    /// PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, Error> {
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|source| Error::PemFile {
                what: "certificate",
                path: cert.to_path_buf(),
                source,
            })?;
        let key = PrivateKeyDer::from_pem_file(key).map_err(|source| Error::PemFile {
            what: "private key",
            path: key.to_path_buf(),
            source,
        })?;
        Self::from_der(chain, key)
    }

    /// From PEM text.
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<Self, Error> {
        let chain = CertificateDer::pem_slice_iter(cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| Error::Pem {
                what: "certificate",
                source,
            })?;
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|source| Error::Pem {
            what: "private key",
            source,
        })?;
        Self::from_der(chain, key)
    }

    /// From DER.
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, Error> {
        if chain.is_empty() {
            return Err(Error::NoCertificate);
        }
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        Ok(ServerTls(Arc::new(config)))
    }

    /// From a rustls configuration of your own.
    pub fn from_rustls(config: Arc<rustls::ServerConfig>) -> Self {
        ServerTls(config)
    }
}

/// The client's TLS settings: which certificates it trusts.
#[derive(Debug, Clone)]
pub struct ClientTls(pub(crate) Arc<rustls::ClientConfig>);

impl ClientTls {
    /// Trusts the root certificates in this PEM text (a self-signed server certificate works
    /// as its own root).
    pub fn from_root_pem(pem: &[u8]) -> Result<Self, Error> {
        let roots = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| Error::Pem {
                what: "certificate",
                source,
            })?;
        Self::from_roots(roots)
    }

    /// Trusts these root certificates (DER).
    pub fn from_roots(roots: Vec<CertificateDer<'static>>) -> Result<Self, Error> {
        if roots.is_empty() {
            return Err(Error::NoCertificate);
        }
        let mut store = rustls::RootCertStore::empty();
        for root in roots {
            store.add(root)?;
        }
        let config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(store)
            .with_no_client_auth();
        Ok(ClientTls(Arc::new(config)))
    }

    /// From a rustls configuration of your own.
    pub fn from_rustls(config: Arc<rustls::ClientConfig>) -> Self {
        ClientTls(config)
    }
}
