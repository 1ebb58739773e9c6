//! `mfa eks-token --cluster NAME [--role ARN]`: a Kubernetes `ExecCredential` holding an EKS
//! token, for kubectl's `exec` credential plugins (docs/eks.md).
//!
//! kubectl runs the plugin before each request it authenticates and sets
//! `KUBERNETES_EXEC_INFO` to an `ExecCredential` naming the `apiVersion` it wants back
//! (`client.authentication.k8s.io/v1beta1` or `…/v1`; without the variable, v1beta1). The
//! token is signed from the cached session ([`credentials::obtain_for`]): repeated calls read
//! one file and never ask for a code or a touch. With no cached session and nobody at a
//! terminal, a YubiKey account that needs a touch is refused at once, and the prompt fails
//! as it does anywhere without a terminal: kubectl never waits on a question nobody sees.

use std::ffi::OsStr;

use zeroize::Zeroizing;

use crate::aws::credentials::rfc3339;
use crate::aws::eks::{self, EksToken};
use crate::aws::sts::StsSettings;
use crate::cli::context::unix_now;
use crate::cli::credentials::{self, Request};
use crate::cli::output::write_out;
use crate::cli::{Context, Exit, Failure, advice};
use crate::terminal::Terminal;

/// The variable kubectl describes the call in.
pub const EXEC_INFO: &str = "KUBERNETES_EXEC_INFO";

/// The `ExecCredential` versions kubectl speaks with exec plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V1Beta1,
    V1,
}

impl ApiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1Beta1 => "client.authentication.k8s.io/v1beta1",
            ApiVersion::V1 => "client.authentication.k8s.io/v1",
        }
    }
}

/// Runs `mfa eks-token`.
pub fn run(ctx: &mut Context, cluster: &str, role: Option<&str>) -> Result<Exit, Failure> {
    let version = api_version(ctx.env.var(EXEC_INFO).as_deref())?;
    // Nobody to tell about a touch (no terminal, no desktop notifications): refuse it at once
    // rather than wait for a touch nobody was asked for (docs/eks.md).
    let refuse_touch = !ctx.terminal.can_alert();
    let (profile, obtained) = credentials::obtain_for(
        ctx,
        &Request {
            extra_role: role,
            refuse_touch,
            ..Request::default()
        },
    )?;
    let settings = StsSettings::from_env(profile.region.as_deref(), ctx.env.lookup());
    let credentials = &obtained.credentials;
    let token = eks::token(
        credentials,
        credentials.expiration,
        &settings,
        cluster,
        unix_now()?,
    )
    .map_err(|e| advice::aws::eks(&e))?;
    ctx.terminal.explain(
        1,
        &format!(
            "EKS token for cluster `{cluster}` ({}), valid until {}",
            settings.endpoint(),
            rfc3339::format(token.expiration)
        ),
    );
    let text = exec_credential(version, &token);
    write_out(&mut std::io::stdout().lock(), text.as_bytes())?;
    Ok(Exit::Success)
}

/// The apiVersion `KUBERNETES_EXEC_INFO` asks for; v1beta1 when it is unset or empty.
pub fn api_version(exec_info: Option<&OsStr>) -> Result<ApiVersion, Failure> {
    #[derive(serde::Deserialize)]
    struct ExecInfo {
        #[serde(rename = "apiVersion")]
        api_version: Option<String>,
    }
    let Some(text) = exec_info.filter(|text| !text.is_empty()) else {
        return Ok(ApiVersion::V1Beta1);
    };
    let info: ExecInfo = text
        .to_str()
        .ok_or_else(|| "it is not UTF-8".to_owned())
        .and_then(|text| serde_json::from_str(text).map_err(|e| e.to_string()))
        .map_err(|problem| {
            Failure::usage(
                format!("{EXEC_INFO} is not an ExecCredential in JSON: {problem}"),
                "it is set by kubectl for its exec plugins: unset it when running `mfa eks-token` \
                 by hand",
            )
        })?;
    match info.api_version.as_deref() {
        Some(version) if version == ApiVersion::V1Beta1.as_str() => Ok(ApiVersion::V1Beta1),
        Some(version) if version == ApiVersion::V1.as_str() => Ok(ApiVersion::V1),
        other => Err(Failure::usage(
            format!(
                "{EXEC_INFO} asks for an ExecCredential of apiVersion {}, which mfa does not speak",
                other.map_or_else(|| "(none)".to_owned(), |v| format!("`{v}`"))
            ),
            format!(
                "set `apiVersion: {}` (or {}) in the kubeconfig's exec section",
                ApiVersion::V1.as_str(),
                ApiVersion::V1Beta1.as_str()
            ),
        )),
    }
}

/// The `ExecCredential` kubectl reads, one line of JSON, in a buffer sized up front and wiped
/// after use. The token (a fixed prefix and base64url), the timestamp and the version need no
/// JSON escaping.
pub fn exec_credential(version: ApiVersion, token: &EksToken) -> Zeroizing<String> {
    let token_text = token.token.expose();
    let mut text = Zeroizing::new(String::with_capacity(token_text.len() + 256));
    for part in [
        r#"{"kind":"ExecCredential","apiVersion":""#,
        version.as_str(),
        r#"","spec":{},"status":{"expirationTimestamp":""#,
        &rfc3339::format(token.expiration),
        r#"","token":""#,
        token_text,
        "\"}}\n",
    ] {
        text.push_str(part);
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::secret::SecretString;

    fn version(text: &str) -> Result<ApiVersion, Failure> {
        api_version(Some(OsStr::new(text)))
    }

    #[test]
    fn the_api_version_is_the_one_kubectl_asks_for() {
        assert_eq!(api_version(None).unwrap(), ApiVersion::V1Beta1);
        assert_eq!(version("").unwrap(), ApiVersion::V1Beta1);
        assert_eq!(
            version(
                r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#
            )
            .unwrap(),
            ApiVersion::V1
        );
        assert_eq!(
            version(
                r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":true}}"#
            )
            .unwrap(),
            ApiVersion::V1Beta1
        );
    }

    #[test]
    fn an_unknown_version_or_bad_json_is_a_usage_error() {
        for text in [
            r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#,
            r#"{"kind":"ExecCredential"}"#,
            "{not json",
            "[]",
        ] {
            let failure = version(text).unwrap_err();
            assert_eq!(failure.exit(), Exit::Usage, "{text}");
            assert!(failure.what().contains(EXEC_INFO), "{}", failure.what());
        }
        assert!(
            version(r#"{"apiVersion":"x/v9"}"#)
                .unwrap_err()
                .what()
                .contains("`x/v9`")
        );
    }

    #[test]
    fn the_exec_credential_is_json_kubectl_reads() {
        let token = EksToken {
            token: SecretString::new("k8s-aws-v1.aHR0cHM6Ly9zdHM".into()),
            expiration: 1_700_000_840,
        };
        let text = exec_credential(ApiVersion::V1, &token);
        assert!(text.ends_with('\n'));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "kind": "ExecCredential",
                "apiVersion": "client.authentication.k8s.io/v1",
                "spec": {},
                "status": {
                    "expirationTimestamp": "2023-11-14T22:27:20Z",
                    "token": "k8s-aws-v1.aHR0cHM6Ly9zdHM",
                },
            })
        );
    }
}
