//! Which address a request comes from: the socket's peer, or, when that peer is a trusted proxy (a load
//! balancer in front of the app), the address its `X-Forwarded-For` names.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::env::{ConfigError, Env};

/// The peers (addresses or CIDR ranges) whose `X-Forwarded-For` is believed (TRUSTED_PROXIES).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

impl TrustedProxies {
    /// `TRUSTED_PROXIES`: comma-separated addresses or CIDR ranges (none when unset).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let Some(raw) = env.get("TRUSTED_PROXIES") else {
            return Ok(Self::default());
        };
        let nets = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|entry| {
                IpNet::from_str(entry)
                    .or_else(|_| IpAddr::from_str(entry).map(IpNet::from))
                    .map_err(|_| {
                        ConfigError::invalid(
                            "TRUSTED_PROXIES",
                            entry,
                            "comma-separated addresses or CIDR ranges such as 10.0.0.0/8, 192.0.2.7",
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { nets })
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The client's address. Through trusted proxies it is the right-most `X-Forwarded-For` entry that is
    /// not itself a trusted proxy: entries further left were written by the client and prove nothing.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let mut client = peer;
        for entry in forwarded.iter().rev() {
            match parse_entry(entry) {
                Ok(ip) => {
                    client = canonical(ip);
                    if !self.trusts(client) {
                        break;
                    }
                }
                // A malformed entry ends the chain: trust stops at the last proxy that wrote a good one.
                Err(_) => break,
            }
        }
        client
    }
}

/// An `X-Forwarded-For` entry: an address, or (as some load balancers write) an address and a port:
/// `203.0.113.9:5000`, `[2001:db8::7]:443`, `[2001:db8::7]`.
fn parse_entry(entry: &str) -> Result<IpAddr, std::net::AddrParseError> {
    if let Ok(ip) = IpAddr::from_str(entry) {
        return Ok(ip);
    }
    if let Some(bracketed) = entry
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    {
        return IpAddr::from_str(bracketed);
    }
    std::net::SocketAddr::from_str(entry).map(|addr| addr.ip())
}

/// IPv4 addresses seen through an IPv6 socket (`::ffff:a.b.c.d`) as the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn proxies(list: &str) -> TrustedProxies {
        TrustedProxies::from_env(&Env::from_pairs([("TRUSTED_PROXIES", list)])).unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_through_trusted_peers() {
        let trusted = proxies("10.0.0.0/8, 192.0.2.7");
        let headers = forwarded(&["203.0.113.9"]);
        assert_eq!(
            trusted.client_ip(ip("10.1.2.3"), &headers),
            ip("203.0.113.9")
        );
        assert_eq!(
            trusted.client_ip(ip("192.0.2.7"), &headers),
            ip("203.0.113.9")
        );
        assert_eq!(
            trusted.client_ip(ip("198.51.100.1"), &headers),
            ip("198.51.100.1"),
            "an untrusted peer's header is ignored"
        );
        assert_eq!(
            TrustedProxies::default().client_ip(ip("10.1.2.3"), &headers),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let trusted = proxies("10.0.0.0/8");
        // The client wrote "1.1.1.1" itself; the proxies appended the real addresses.
        let headers = forwarded(&["1.1.1.1, 203.0.113.9", "10.0.0.2"]);
        assert_eq!(
            trusted.client_ip(ip("10.0.0.1"), &headers),
            ip("203.0.113.9")
        );
        let garbled = forwarded(&["203.0.113.9, not-an-ip"]);
        assert_eq!(trusted.client_ip(ip("10.0.0.1"), &garbled), ip("10.0.0.1"));
        assert_eq!(
            trusted.client_ip(ip("::ffff:10.0.0.1"), &forwarded(&["203.0.113.9"])),
            ip("203.0.113.9"),
            "IPv4 through an IPv6 socket"
        );
    }

    #[test]
    fn entries_with_a_port_name_their_address() {
        // Some load balancers write the client's port too: each client keeps a bucket of its own.
        let trusted = proxies("10.0.0.0/8");
        for (entry, client) in [
            ("203.0.113.9:5000", "203.0.113.9"),
            ("[2001:db8::7]:443", "2001:db8::7"),
            ("[2001:db8::8]", "2001:db8::8"),
            ("10.0.0.3:80, 198.51.100.4:61000", "198.51.100.4"),
        ] {
            assert_eq!(
                trusted.client_ip(ip("10.0.0.1"), &forwarded(&[entry])),
                ip(client),
                "{entry}"
            );
        }
        // The chain still ends at an entry that is no address, with or without a port.
        for garbled in ["203.0.113.9, host:80", "203.0.113.9, 198.51.100.4:x"] {
            assert_eq!(
                trusted.client_ip(ip("10.0.0.1"), &forwarded(&[garbled])),
                ip("10.0.0.1"),
                "{garbled}"
            );
        }
    }

    #[test]
    fn bad_entries_are_refused_at_start() {
        let err = TrustedProxies::from_env(&Env::from_pairs([("TRUSTED_PROXIES", "10.0.0.0/33")]))
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("TRUSTED_PROXIES=\"10.0.0.0/33\" is invalid"),
            "{err}"
        );
    }
}
