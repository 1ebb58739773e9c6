//! Which forward proxy, if any, carries a call to an endpoint — so an error can name it.
//!
//! The SDK's HTTP client takes its proxy from the environment through hyper-util's matcher:
//! `HTTPS_PROXY` for `https://` endpoints, `HTTP_PROXY` for `http://` ones, `ALL_PROXY` for
//! both, each also in lowercase (the uppercase form wins when both are set), and `NO_PROXY`
//! for the hosts reached directly. Asking the same matcher keeps the answer the same as the
//! client's. See docs/proxies.md.

use hyper_util::client::proxy::matcher::Matcher;

/// The proxy a call to `endpoint` goes through, as `scheme://host:port` — never with the user
/// name or password a proxy URL may carry. `None` when the call goes directly.
pub fn proxy_for(endpoint: &str) -> Option<String> {
    let uri: http::Uri = endpoint.parse().ok()?;
    let intercept = Matcher::from_env().intercept(&uri)?;
    let proxy = intercept.uri();
    let scheme = proxy.scheme_str().unwrap_or("http");
    let host = proxy.host()?;
    Some(match proxy.port_u16() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}
