//! The client's address behind trusted proxies (`X-Forwarded-For`, every
//! line one list). Properties: no panic; an untrusted peer is the client
//! whatever the header says; the answer is the peer or a hop of the header;
//! every hop read between the peer and the answer is a trusted proxy; the
//! answer is never a trusted proxy when an untrusted hop was read; nothing
//! left of a hop that is not an address is believed.
//!
//! Input, by lines: the trusted networks (comma-separated), the socket's
//! peer, then the `X-Forwarded-For` lines.

#![no_main]

use std::net::IpAddr;

use baigate_shared::forwarded::{TrustedProxies, join_lines, parse_hop};
use ipnet::IpNet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut lines = text.split('\n');
    let networks = lines.next().unwrap_or_default();
    let proxies = TrustedProxies(
        networks
            .split(',')
            .filter_map(|net| {
                let net = net.trim();
                net.parse::<IpNet>()
                    .or_else(|_| net.parse::<IpAddr>().map(IpNet::from))
                    .ok()
            })
            .collect(),
    );
    let Some(peer) = lines
        .next()
        .and_then(|peer| peer.trim().parse::<IpAddr>().ok())
    else {
        return;
    };
    let rest: Vec<&str> = lines.collect();
    let header = join_lines(&rest);
    let client = proxies.client_of(peer, header.as_deref());

    if !proxies.trusts(peer) {
        assert_eq!(client, peer.to_canonical());
        return;
    }
    // The hops the walk may read: from the right, up to the first one that
    // is not an address.
    let mut readable = Vec::new();
    for hop in header.as_deref().unwrap_or_default().split(',').rev() {
        if hop.trim().is_empty() {
            continue;
        }
        match parse_hop(hop) {
            Some(ip) => readable.push(ip),
            None => break,
        }
    }
    let at = readable.iter().position(|ip| *ip == client);
    assert!(
        client == peer.to_canonical() || at.is_some(),
        "{client} is made up"
    );
    if let Some(at) = at {
        assert!(
            readable[..at].iter().all(|ip| proxies.trusts(*ip)),
            "an untrusted hop nearer than {client}: {readable:?}"
        );
    }
    if readable.iter().any(|ip| !proxies.trusts(*ip)) {
        assert!(
            !proxies.trusts(client),
            "a trusted proxy {client} was taken for the client"
        );
    }
});
