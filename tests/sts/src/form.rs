//! `application/x-www-form-urlencoded` parameters (POST bodies and query strings) and the
//! caller's access key id from SigV4 (`Authorization` header or presigned `X-Amz-Credential`).

/// Decoded parameters in request order; later duplicates do not override earlier ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses `a=1&b=x%20y+z`.
    pub fn parse(text: &str) -> Params {
        let mut params = Params::default();
        params.extend(text);
        params
    }

    /// Adds the pairs of another urlencoded string.
    pub fn extend(&mut self, text: &str) {
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            self.0.push((decode(name), decode(value)));
        }
    }

    /// The first value of `name` (exact, case-sensitive as in AWS).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Like [`Params::get`], but names compared ignoring ASCII case (for `X-Amz-*`).
    pub fn get_ignore_case(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Percent-decoding with `+` as space; invalid escapes are kept literally.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The access key id of `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/sts/aws4_request, …`.
pub fn key_id_from_authorization(header: &str) -> Option<String> {
    let rest = header.trim().strip_prefix("AWS4-HMAC-SHA256")?;
    rest.split(',')
        .filter_map(|part| part.trim().strip_prefix("Credential="))
        .find_map(key_id_from_credential)
}

/// The access key id of a credential scope `AKID/DATE/REGION/SERVICE/aws4_request`.
pub fn key_id_from_credential(credential: &str) -> Option<String> {
    let key_id = credential.split('/').next()?.trim();
    (!key_id.is_empty()).then(|| key_id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_form_bodies() {
        let params = Params::parse(
            "Action=GetSessionToken&Version=2011-06-15&SerialNumber=arn%3Aaws%3Aiam%3A%3A1%3Amfa%2Falice&TokenCode=012345&X=a+b",
        );
        assert_eq!(params.get("Action"), Some("GetSessionToken"));
        assert_eq!(params.get("SerialNumber"), Some("arn:aws:iam::1:mfa/alice"));
        assert_eq!(params.get("TokenCode"), Some("012345"));
        assert_eq!(params.get("X"), Some("a b"));
        assert_eq!(params.get("action"), None);
    }

    #[test]
    fn keeps_bad_escapes_and_bare_names() {
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%41%42"), "AB");
        let params = Params::parse("Flag&A=");
        assert_eq!(params.get("Flag"), Some(""));
        assert_eq!(params.get("A"), Some(""));
    }

    #[test]
    fn finds_the_key_id() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIAALICE/20260501/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
        assert_eq!(
            key_id_from_authorization(header).as_deref(),
            Some("AKIAALICE")
        );
        assert_eq!(key_id_from_authorization("Basic abc"), None);
        assert_eq!(
            key_id_from_authorization("AWS4-HMAC-SHA256 Credential=/x"),
            None
        );
        let query =
            Params::parse("X-Amz-Credential=ASIAX%2F20260501%2Fus-east-1%2Fsts%2Faws4_request");
        assert_eq!(
            key_id_from_credential(query.get_ignore_case("x-amz-credential").unwrap_or("")),
            Some("ASIAX".to_string())
        );
    }
}
