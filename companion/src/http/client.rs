//! Who is asking: the client's IP (from the socket, or from `X-Forwarded-For`
//! when the socket is a trusted proxy), user agent and language, each an
//! extractor a handler can take.

use std::net::IpAddr;
use std::sync::Arc;

use baigate_shared::forwarded::join_lines;
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

/// Which peers may tell us the client's address; the rule is
/// `baigate_shared::forwarded` (fuzzed there).
pub use baigate_shared::forwarded::TrustedProxies;

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
            let forwarded = join_lines(&lines);
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
