//! The origin of a URL, parsed strictly: only the plain form every URL parser (Rust's, WHATWG's in
//! Node and workerd) reads the same way is accepted, so the core and the hosts can never disagree
//! about where credentials go. Anything unusual (userinfo, a backslash, percent-encoding or non-ASCII
//! in the host, an odd port) is refused rather than interpreted.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    pub https: bool,
    /// Lower-case ASCII host name, dotted IPv4, or a bracketed IPv6 literal.
    pub host: String,
    /// `None` for the scheme's default port.
    pub port: Option<u16>,
}

impl Origin {
    /// The origin of an absolute `http(s)://host[:port][/path][?query][#fragment]` URL.
    pub fn of(url: &str) -> Result<Origin, String> {
        let (https, rest) = if let Some(r) = strip_prefix_ci(url, "https://") {
            (true, r)
        } else if let Some(r) = strip_prefix_ci(url, "http://") {
            (false, r)
        } else {
            return Err("must be an absolute http(s) URL".into());
        };
        if url
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        {
            return Err("contains whitespace, a control character or a backslash".into());
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        if authority.contains('@') {
            return Err("must not contain a user name or password".into());
        }
        let (host, port) = split_port(authority)?;
        let host = host.to_ascii_lowercase();
        let ok_name = !host.is_empty()
            && host.len() <= 253
            && host
                .split('.')
                .all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(label_byte))
            && !host.starts_with('-');
        let ok_v6 = host == "[::1]";
        if !(ok_name || ok_v6) {
            return Err(format!("host {host:?} is not a plain DNS name"));
        }
        let default = if https { 443 } else { 80 };
        Ok(Origin {
            https,
            host,
            port: port.filter(|p| *p != default),
        })
    }

    /// A literal loopback address or `localhost`: the only hosts plain http may reach.
    pub fn is_loopback(&self) -> bool {
        if self.host == "localhost" || self.host == "[::1]" {
            return true;
        }
        let parts: Vec<&str> = self.host.split('.').collect();
        parts.len() == 4
            && parts[0] == "127"
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.len() <= 3
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && (p.len() == 1 || !p.starts_with('0'))
                    && p.parse::<u16>().is_ok_and(|n| n <= 255)
            })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        match self.port {
            Some(p) => write!(f, "{scheme}://{}:{p}", self.host),
            None => write!(f, "{scheme}://{}", self.host),
        }
    }
}

fn label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn split_port(authority: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']').ok_or("unclosed IPv6 literal")?;
        let (h, rest) = authority.split_at(close + 1);
        match rest.strip_prefix(':') {
            Some(p) => (h, Some(p)),
            None if rest.is_empty() => (h, None),
            None => return Err("unexpected text after the IPv6 literal".into()),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => {
            let ok = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
            match p.parse::<u16>() {
                Ok(n) if ok && n > 0 => Some(n),
                _ => return Err(format!("port {p:?} is not a number from 1 to 65535")),
            }
        }
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_origins_parse_and_print_canonically() {
        let o = Origin::of("HTTPS://Acme.Atlassian.NET:443/rest?x#y").unwrap();
        assert_eq!(o.to_string(), "https://acme.atlassian.net");
        assert_eq!(
            Origin::of("http://127.0.0.1:8080").unwrap().to_string(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(Origin::of("http://[::1]:9/").unwrap().host, "[::1]");
    }

    #[test]
    fn anything_parsers_could_read_differently_is_refused() {
        for bad in [
            "https://evil.example\\.atlassian.net",
            "https://user:pw@acme.atlassian.net",
            "https://acme.atlassian.net@evil.example",
            "https://ac%6De.atlassian.net",
            "https://acmé.atlassian.net",
            "https://:443",
            "https://acme.atlassian.net:99999",
            "https://acme.atlassian.net:0",
            "https://acme.atlassian.net:+1",
            "http://[::1",
            "https://acme atlassian.net",
            "https://acme.atlassian.net\0",
            "https://..atlassian.net",
            "ftp://acme.atlassian.net",
            "acme.atlassian.net",
        ] {
            assert!(Origin::of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn loopback_means_literal_loopback() {
        for yes in [
            "http://127.0.0.1",
            "http://127.1.2.3:9",
            "http://localhost:1",
            "http://[::1]",
        ] {
            assert!(Origin::of(yes).unwrap().is_loopback(), "{yes}");
        }
        for no in [
            "http://127.evil.example",
            "http://127.0.0.1.evil.example:8080",
            "http://127.0.0.1.nip.io",
            "http://localhost.evil.example",
            "http://127.0.0.01",
            "http://127.0.0.256",
            "http://128.0.0.1",
        ] {
            assert!(!Origin::of(no).unwrap().is_loopback(), "{no}");
        }
    }
}
