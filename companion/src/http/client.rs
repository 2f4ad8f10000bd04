//! Who is asking: the client's IP (from the socket, or from `X-Forwarded-For`
//! when the socket is a trusted proxy), user agent and language, each an
//! extractor a handler can take.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use poem::http::header::USER_AGENT;
use poem::{Endpoint, FromRequest, Middleware, Request, RequestBody, Result};

use crate::i18n::Lang;
use crate::model::ClientInfo;

/// Longest user agent kept.
const USER_AGENT_MAX: usize = 256;

/// The client's address, worked out once per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The request's path and query as the client sent them, before any nested
/// route rewrote them (signatures cover it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireTarget(pub String);

/// Which peers may tell us the client's address.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: the peer itself unless it is a trusted proxy;
    /// then, in `X-Forwarded-For`, the nearest address that is not a trusted
    /// proxy (addresses further left could be made up by the client).
    pub fn client_of(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let Some(header) = forwarded_for else {
            return peer;
        };
        let hops: Vec<IpAddr> = header
            .split(',')
            .filter_map(|hop| hop.trim().parse().ok())
            .collect();
        hops.iter()
            .rev()
            .find(|ip| !self.trusts(**ip))
            .or_else(|| hops.first())
            .copied()
            .unwrap_or(peer)
    }
}

/// Middleware that stores [`ClientIp`] and [`WireTarget`] in every request.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub Arc<TrustedProxies>);

impl<E: Endpoint> Middleware<E> for ClientAddress {
    type Output = ClientAddressEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        ClientAddressEndpoint {
            inner,
            proxies: self.0.clone(),
        }
    }
}

#[derive(Debug)]
pub struct ClientAddressEndpoint<E> {
    inner: E,
    proxies: Arc<TrustedProxies>,
}

impl<E: Endpoint> Endpoint for ClientAddressEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let target = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        req.extensions_mut().insert(WireTarget(target));
        if let Some(peer) = req
            .remote_addr()
            .as_socket_addr()
            .map(|a| a.ip().to_canonical())
        {
            // Every line is one list: a proxy may add its own line rather
            // than extend the client's (RFC 9110 §5.3).
            let lines: Vec<&str> = req
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            let forwarded = (!lines.is_empty()).then(|| lines.join(","));
            let client = self.proxies.client_of(peer, forwarded.as_deref());
            req.extensions_mut().insert(ClientIp(client));
        }
        self.inner.call(req).await
    }
}

impl<'a> FromRequest<'a> for ClientInfo {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        Ok(client_info(req))
    }
}

impl<'a> FromRequest<'a> for Lang {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        Ok(lang(req))
    }
}

/// The client's address, if the request came over a socket.
pub fn client_ip(req: &Request) -> Option<IpAddr> {
    req.extensions().get::<ClientIp>().map(|ip| ip.0)
}

/// Who made the request, for sessions and the audit.
pub fn client_info(req: &Request) -> ClientInfo {
    let user_agent = req
        .headers()
        .get(USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .map(|ua| {
            ua.chars()
                .filter(|c| !c.is_control())
                .take(USER_AGENT_MAX)
                .collect::<String>()
        })
        .filter(|ua| !ua.is_empty());
    ClientInfo {
        ip: client_ip(req).map(|ip| ip.to_string()),
        user_agent,
    }
}

/// The language for mails and pages: `?lang=` first (pages), then
/// `Accept-Language`.
pub fn lang(req: &Request) -> Lang {
    let from_query = req.uri().query().and_then(|query| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == "lang")
            .and_then(|(_, value)| Lang::from_tag(value))
    });
    from_query.unwrap_or_else(|| {
        req.headers()
            .get(poem::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::En, Lang::from_accept_language)
    })
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
        ];
        for (peer, header, expected) in cases {
            assert_eq!(
                proxies.client_of(ip(peer), header),
                ip(expected),
                "{peer} {header:?}"
            );
        }
    }
}
