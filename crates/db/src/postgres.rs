//! How Waypost reaches PostgreSQL: the URL's libpq-style TLS settings
//! (`sslmode`, `sslrootcert`), the name it shows the server, the limit on
//! how long one statement may run, and read-only sessions for a replica.
//! Every PostgreSQL connection Waypost opens (pooled, listening, migrating,
//! creating the database, reading from a replica) goes through
//! [`PgTarget::connect`], so that they all speak TLS alike.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use diesel::ConnectionError;
use diesel_async::AsyncPgConnection;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::SslMode as WireMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::DbError;
use crate::masked::mask_url;

/// The `sslmode` values libpq knows, with libpq's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plaintext only.
    Disable,
    /// TLS when the server offers it, unverified; plaintext otherwise.
    Prefer,
    /// TLS, unverified (verified like `VerifyCa` when `sslrootcert` is set).
    Require,
    /// TLS with a certificate chain to a trusted root; any host name.
    VerifyCa,
    /// TLS with a trusted chain and a certificate for the host connected to.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<SslMode, String> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            // `allow` tries plaintext first; offering less than `prefer`
            // by default is not worth a mode of its own.
            other => {
                return Err(format!(
                    "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// A PostgreSQL server as a URL names it, ready to connect to; cheap to
/// clone (every pooled connection's setup holds one).
#[derive(Clone)]
pub(crate) struct PgTarget(Arc<Settings>);

#[derive(Clone)]
pub(crate) struct Settings {
    config: tokio_postgres::Config,
    mode: SslMode,
    /// `None` for `disable`.
    tls: Option<MakeRustlsConnect>,
}

impl std::ops::Deref for PgTarget {
    type Target = Settings;

    fn deref(&self) -> &Settings {
        &self.0
    }
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTarget")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl PgTarget {
    /// Reads a `postgres://` URL. libpq's TLS parameters are taken here
    /// (`sslmode`, default `prefer` as in libpq; `sslrootcert`, a PEM file
    /// or `system` for the platform's roots, which `verify-ca` and
    /// `verify-full` use when it is absent); the rest is the driver's.
    pub(crate) fn parse(url: &str) -> Result<PgTarget, DbError> {
        let invalid = |reason: String| DbError::InvalidUrl(format!("{}: {reason}", mask_url(url)));
        let mut parsed = url::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
        let mut mode = None;
        let mut root_cert = None;
        // The driver's parameters keep their own spelling: re-encoding
        // them would turn `%20` into `+`, which the driver reads literally.
        let mut rest: Vec<&str> = Vec::new();
        let query = parsed.query().unwrap_or_default().to_owned();
        for raw in query.split('&').filter(|raw| !raw.is_empty()) {
            let Some((key, value)) = url::form_urlencoded::parse(raw.as_bytes()).next() else {
                continue;
            };
            match key.as_ref() {
                "sslmode" => mode = Some(SslMode::parse(&value).map_err(&invalid)?),
                "sslrootcert" => root_cert = Some(value.into_owned()),
                "sslcert" | "sslkey" | "sslpassword" => {
                    return Err(invalid(format!(
                        "{key}: client certificates are not supported; authenticate with a password"
                    )));
                }
                _ => rest.push(raw),
            }
        }
        parsed.set_query(
            Some(&rest.join("&"))
                .filter(|q| !q.is_empty())
                .map(String::as_str),
        );
        let mut config = tokio_postgres::Config::from_str(parsed.as_str())
            .map_err(|e| invalid(e.to_string()))?;
        if config.get_application_name().is_none() {
            // Lets a DBA tell Waypost's sessions apart in pg_stat_activity.
            config.application_name("waypost");
        }
        // libpq: `require` with a root certificate verifies the chain.
        let mode = match (mode.unwrap_or(SslMode::Prefer), &root_cert) {
            (SslMode::Require, Some(_)) => SslMode::VerifyCa,
            (mode, _) => mode,
        };
        config.ssl_mode(match mode {
            SslMode::Disable => WireMode::Disable,
            SslMode::Prefer => WireMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => WireMode::Require,
        });
        let tls = match mode {
            SslMode::Disable => None,
            mode => Some(MakeRustlsConnect::new(
                client_config(mode, root_cert.as_deref()).map_err(&invalid)?,
            )),
        };
        Ok(PgTarget(Arc::new(Settings { config, mode, tls })))
    }

    pub(crate) fn mode(&self) -> SslMode {
        self.mode
    }

    /// The database the URL names.
    pub(crate) fn database(&self) -> Option<&str> {
        self.config.get_dbname()
    }

    /// The same server, another database on it.
    pub(crate) fn with_database(&self, name: &str) -> PgTarget {
        let mut other = Settings::clone(self);
        other.config.dbname(name);
        PgTarget(Arc::new(other))
    }

    /// The same server, each statement cancelled by the server once it has
    /// run for `limit`: a request Waypost has given up on must not keep
    /// working in the database.
    pub(crate) fn with_statement_timeout(&self, limit: Duration) -> PgTarget {
        self.with_setting(&format!("statement_timeout={}", limit.as_millis().max(1)))
    }

    /// The same server, every session read-only: a write sent to a replica
    /// by mistake then fails at once even where the server would take it
    /// (a logical replica, or the primary's own URL given as the replica),
    /// instead of landing where the primary never sees it.
    pub(crate) fn read_only(&self) -> PgTarget {
        self.with_setting("default_transaction_read_only=on")
    }

    /// The same server, with `setting` (`name=value`) for each session,
    /// after the settings the URL's `options` gave.
    fn with_setting(&self, setting: &str) -> PgTarget {
        let mut other = Settings::clone(self);
        let mut options = other.config.get_options().unwrap_or_default().to_owned();
        if !options.is_empty() {
            options.push(' ');
        }
        options.push_str("-c ");
        options.push_str(setting);
        other.config.options(&options);
        PgTarget(Arc::new(other))
    }

    pub(crate) async fn connect(&self) -> Result<AsyncPgConnection, ConnectionError> {
        let failed = |e: tokio_postgres::Error| ConnectionError::BadConnection(describe(&e));
        match &self.tls {
            None => {
                let (client, conn) = self
                    .config
                    .connect(tokio_postgres::NoTls)
                    .await
                    .map_err(failed)?;
                AsyncPgConnection::try_from_client_and_connection(client, conn).await
            }
            Some(tls) => {
                let (client, conn) = self.config.connect(tls.clone()).await.map_err(failed)?;
                AsyncPgConnection::try_from_client_and_connection(client, conn).await
            }
        }
    }
}

/// The driver's error with its causes: "error performing TLS handshake"
/// alone does not tell an operator that the certificate was the problem.
fn describe(err: &tokio_postgres::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn client_config(mode: SslMode, root_cert: Option<&str>) -> Result<ClientConfig, String> {
    // ring builds with a C compiler alone, where aws-lc would need more of
    // the machine; its only gap is post-quantum key exchange, which a
    // database connection inside a data centre can do without for now.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let chain = |roots: RootCertStore| {
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| e.to_string())
    };
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => Arc::new(Lenient {
            chain: None,
            algorithms,
        }),
        SslMode::VerifyCa => Arc::new(Lenient {
            chain: Some(chain(root_store(root_cert)?)?),
            algorithms,
        }),
        SslMode::VerifyFull => chain(root_store(root_cert)?)?,
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// The roots a verified connection trusts: the PEM file `sslrootcert`
/// names, or the platform's store.
fn root_store(root_cert: Option<&str>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    match root_cert {
        Some(path) if path != "system" => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("sslrootcert {path}: {e}"))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!("sslrootcert {path}: no certificate in it"));
            }
        }
        _ => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(
                    "the platform has no trusted root certificates; name one with sslrootcert"
                        .into(),
                );
            }
        }
    }
    Ok(roots)
}

/// `prefer` and `require` (no `chain`): encrypted, but whoever answers is
/// believed, as libpq does. `verify-ca` (a `chain`): the chain must reach a
/// trusted root, the name on the certificate may be any. Either way the
/// handshake's signatures are checked, so the session is bound to the
/// certificate shown.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        // The name is checked only once the chain has been verified.
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_modes_are_read_and_the_rest_left_to_the_driver() {
        let target = PgTarget::parse("postgres://u:pw@db.example/app?sslmode=disable").unwrap();
        assert_eq!(target.mode(), SslMode::Disable);
        assert_eq!(target.database(), Some("app"));
        assert_eq!(target.config.get_application_name(), Some("waypost"));
        let default = PgTarget::parse("postgres://db.example/app").unwrap();
        assert_eq!(default.mode(), SslMode::Prefer);
        let named =
            PgTarget::parse("postgres://h/app?application_name=blog&sslmode=require").unwrap();
        assert_eq!(named.config.get_application_name(), Some("blog"));
        assert_eq!(named.mode(), SslMode::Require);
        let full = PgTarget::parse("postgres://h/app?sslmode=verify-full&sslrootcert=system");
        assert_eq!(full.unwrap().mode(), SslMode::VerifyFull);
    }

    #[test]
    fn require_with_a_root_certificate_verifies_the_chain() {
        let pem = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/root.pem");
        let target = PgTarget::parse(&format!(
            "postgres://h/app?sslmode=require&sslrootcert={pem}"
        ))
        .unwrap();
        assert_eq!(target.mode(), SslMode::VerifyCa);
    }

    #[test]
    fn bad_tls_settings_are_refused_by_name_without_the_password() {
        for (url, says) in [
            ("postgres://u:hunter2@h/app?sslmode=allow", "sslmode=allow"),
            (
                "postgres://u:hunter2@h/app?sslmode=verify-full&sslrootcert=/nope.pem",
                "/nope.pem",
            ),
            (
                "postgres://u:hunter2@h/app?sslcert=c.pem",
                "client certificates",
            ),
            ("postgres://u:hunter2@h/app?bogus=1", "bogus"),
        ] {
            let err = PgTarget::parse(url).unwrap_err().to_string();
            assert!(err.contains(says), "{url}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn session_settings_join_the_options_given() {
        let target = PgTarget::parse("postgres://h/app?options=-c%20search_path%3Dblog").unwrap();
        let limited = target.with_statement_timeout(Duration::from_millis(2500));
        assert_eq!(
            limited.config.get_options(),
            Some("-c search_path=blog -c statement_timeout=2500")
        );
        assert_eq!(
            limited.read_only().config.get_options(),
            Some(
                "-c search_path=blog -c statement_timeout=2500 -c default_transaction_read_only=on"
            )
        );
    }
}
