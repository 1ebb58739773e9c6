//! The HTTPS client the STS and IAM clients share: the SDK's own hyper client with rustls on the
//! `ring` crypto provider, the system's root certificates, and the proxy variables
//! (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, and lowercase) honoured as the SDK's default client
//! honours them.
//!
//! The SDK's default client uses aws-lc; `ring` gives a smaller binary whose start-up runs no
//! crypto library constructor (docs/performance.md). Built only when the first request is
//! made: a cached session never gets here.

use aws_sdk_sts::config::SharedHttpClient;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};

/// A client that makes its connectors on first use, one per set of connector settings, as the
/// SDK's default client does.
pub fn client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}
