//! The client's address behind reverse proxies: `X-Forwarded-For` is read
//! only when the socket's peer is a trusted proxy, and then from the right,
//! through trusted proxies only (ASVS 4.1.3). Here rather than in the
//! companion so that the fuzz targets (`fuzz/`) build without the server.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// Which peers may tell us the client's address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<IpNet>);

/// One hop of the chain: an address, with a port or not (some proxies add
/// it), IPv4-mapped IPv6 read as IPv4 (as the socket's peer is).
pub fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// Every `X-Forwarded-For` line as one list: a proxy may add its own line
/// rather than extend the client's (RFC 9110 §5.3).
pub fn join_lines(lines: &[&str]) -> Option<String> {
    (!lines.is_empty()).then(|| lines.join(","))
}

impl TrustedProxies {
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: the peer itself unless it is a trusted proxy;
    /// then the nearest hop of `X-Forwarded-For`, read from the right, that is
    /// not a trusted proxy (addresses further left could be made up by the
    /// client). A hop that is not an address stops the walk at the last
    /// trusted address reached: what is left of it cannot be checked. When
    /// every hop is trusted, the farthest one.
    pub fn client_of(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let Some(header) = forwarded_for else {
            return peer;
        };
        let mut client = peer;
        for hop in header.split(',').rev() {
            if hop.trim().is_empty() {
                continue;
            }
            let Some(ip) = parse_hop(hop) else {
                return client;
            };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_of(ip("10.0.0.1"), Some("1.2.3.4")),
            ip("10.0.0.1")
        );

        let proxies = TrustedProxies(vec![
            "10.0.0.0/8".parse().unwrap(),
            "127.0.0.1/32".parse().unwrap(),
        ]);
        let cases = [
            ("127.0.0.1", Some("203.0.113.7"), "203.0.113.7"),
            // The client can prepend anything; the nearest untrusted hop counts.
            (
                "127.0.0.1",
                Some("6.6.6.6, 203.0.113.7, 10.1.2.3"),
                "203.0.113.7",
            ),
            ("127.0.0.1", None, "127.0.0.1"),
            ("127.0.0.1", Some("garbage"), "127.0.0.1"),
            ("127.0.0.1", Some("10.1.1.1, 10.2.2.2"), "10.1.1.1"),
            // Two header lines, joined: the proxy's own (last) hop counts.
            ("127.0.0.1", Some("6.6.6.6,203.0.113.9"), "203.0.113.9"),
            ("192.0.2.1", Some("203.0.113.7"), "192.0.2.1"),
            // A hop that is not an address: nothing left of it is believed
            // (it used to be skipped, handing the answer to the client's 6.6.6.6).
            ("127.0.0.1", Some("6.6.6.6, unknown"), "127.0.0.1"),
            ("127.0.0.1", Some("6.6.6.6, unknown, 10.1.2.3"), "10.1.2.3"),
            // Ports, as some proxies write them.
            (
                "127.0.0.1",
                Some("6.6.6.6, 203.0.113.7:4711"),
                "203.0.113.7",
            ),
            ("127.0.0.1", Some("[2001:db8::7]:443"), "2001:db8::7"),
            // An IPv4-mapped proxy address is that proxy (it used to count as
            // an untrusted client).
            ("127.0.0.1", Some("6.6.6.6, ::ffff:10.1.2.3"), "6.6.6.6"),
            ("::ffff:127.0.0.1", Some("203.0.113.7"), "203.0.113.7"),
            // Empty items (a proxy appending to an empty header) are skipped.
            ("127.0.0.1", Some(", 203.0.113.7,"), "203.0.113.7"),
        ];
        for (peer, header, expected) in cases {
            assert_eq!(
                proxies.client_of(ip(peer), header),
                ip(expected),
                "{peer} {header:?}"
            );
        }
    }

    #[test]
    fn lines_are_one_list() {
        assert_eq!(join_lines(&[]), None);
        assert_eq!(join_lines(&["a, b", "c"]).as_deref(), Some("a, b,c"));
    }
}
