//! Who is asking: the client's address, seen through the reverse proxies
//! the deployment trusts. Flood control and rate limiting count per
//! address; behind a proxy the connection's peer is the proxy itself, and
//! every visitor would share one allowance.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;

const FORWARDED_FOR: &str = "x-forwarded-for";

/// A network of proxies: an address with a prefix length (`10.0.0.0/8`),
/// or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyRange(IpNet);

impl ProxyRange {
    fn contains(&self, address: IpAddr) -> bool {
        self.0.contains(&canonical(address))
    }
}

/// An IPv4 peer on a dual-stack socket shows as `::ffff:a.b.c.d`; it is
/// the IPv4 address that configuration names.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

impl FromStr for ProxyRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let network = if text.contains('/') {
            text.parse::<IpNet>().map_err(|_| {
                format!("{text:?} is not an address or network (address/prefix length)")
            })?
        } else {
            let address = text
                .parse::<IpAddr>()
                .map_err(|_| format!("{text:?} is not an address or network"))?;
            IpNet::from(canonical(address))
        };
        Ok(ProxyRange(network))
    }
}

/// The proxies whose `X-Forwarded-For` is believed; none by default, so a
/// client cannot pick its own address by sending the header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<ProxyRange>);

impl TrustedProxies {
    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(address))
    }

    /// The client a connection from `peer` belongs to, when the peer is
    /// that client; `None` when it is a trusted proxy, whose connection
    /// carries many clients (known only from each request's headers).
    pub(crate) fn direct_client(&self, peer: IpAddr) -> Option<IpAddr> {
        let peer = canonical(peer);
        (!self.trusts(peer)).then_some(peer)
    }

    /// The client behind `peer`: when the peer is a trusted proxy, the
    /// nearest address in `X-Forwarded-For` that is not one. Entries are
    /// read from the right, since each proxy appends the address it saw
    /// and only those the deployment runs can be believed; whatever a
    /// client wrote to the left of them is ignored.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        // Split as bytes: a client may put bytes that are not text into its
        // own part of a line, and our proxy's entry appended after them
        // must still be read.
        let hops = headers
            .get_all(FORWARDED_FOR)
            .iter()
            .flat_map(|value| value.as_bytes().split(|b| *b == b','))
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let Some(address) = std::str::from_utf8(hop).ok().and_then(parse_hop) else {
                // A hop no proxy of ours would write: stop at the last
                // address that can be believed.
                break;
            };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .map(canonical)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn proxies(ranges: &[&str]) -> TrustedProxies {
        TrustedProxies(ranges.iter().map(|r| r.parse().unwrap()).collect())
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_parse_and_match() {
        let lan: ProxyRange = "10.0.0.0/8".parse().unwrap();
        assert!(lan.contains(ip("10.200.3.4")));
        assert!(!lan.contains(ip("11.0.0.1")));
        assert!(lan.contains(ip("::ffff:10.1.2.3")), "mapped IPv4");
        let one: ProxyRange = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let odd: ProxyRange = "172.16.0.0/12".parse().unwrap();
        assert!(odd.contains(ip("172.31.255.255")) && !odd.contains(ip("172.32.0.0")));
        let v6: ProxyRange = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let all: ProxyRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")) && !all.contains(ip("2001:db8::1")));
        for bad in [
            "",
            "10.0.0.0/33",
            "fd00::/129",
            "proxy.example",
            "10.0.0.0/x",
        ] {
            assert!(bad.parse::<ProxyRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_peer() {
        let headers = forwarded(&["203.0.113.9"]);
        assert_eq!(
            TrustedProxies::default().client(ip("198.51.100.1"), &headers),
            ip("198.51.100.1"),
            "no proxy trusted: the header is the client's own claim"
        );
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            trusted.client(ip("198.51.100.1"), &headers),
            ip("198.51.100.1"),
            "an untrusted peer"
        );
        assert_eq!(trusted.client(ip("10.0.0.2"), &headers), ip("203.0.113.9"));
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2"),
            "no header: the proxy is all there is"
        );
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8"]);
        // The client wrote the first entry itself; the proxies appended
        // the rest.
        let headers = forwarded(&["198.51.100.66, 203.0.113.9, 10.0.0.5"]);
        assert_eq!(trusted.client(ip("10.0.0.2"), &headers), ip("203.0.113.9"));
        let split = forwarded(&["198.51.100.66", "203.0.113.9:4711, 10.0.0.5"]);
        assert_eq!(trusted.client(ip("10.0.0.2"), &split), ip("203.0.113.9"));
        let all_ours = forwarded(&["10.9.9.9, 10.0.0.5"]);
        assert_eq!(trusted.client(ip("10.0.0.2"), &all_ours), ip("10.9.9.9"));
        // Bytes that are not text in the client's part do not hide the
        // proxy's entry after them.
        let mut raw = HeaderMap::new();
        raw.append(
            FORWARDED_FOR,
            HeaderValue::from_bytes(b"\xff\xfe, 203.0.113.9").unwrap(),
        );
        assert_eq!(trusted.client(ip("10.0.0.2"), &raw), ip("203.0.113.9"));
        let garbled = forwarded(&["203.0.113.9, unknown, 10.0.0.5"]);
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &garbled),
            ip("10.0.0.5"),
            "nothing past a hop we cannot read is believed"
        );
    }
}
