//! Who is asking: the client's IP and user agent, for sessions and the audit.

use poem::Request;
use poem::http::header::USER_AGENT;

use crate::model::ClientInfo;

/// Longest user agent kept.
const USER_AGENT_MAX: usize = 256;

/// The peer's IP, from the socket. (Proxies are not trusted by default.)
pub fn client_info(req: &Request) -> ClientInfo {
    let ip = req
        .remote_addr()
        .as_socket_addr()
        .map(|addr| addr.ip().to_canonical().to_string());
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
    ClientInfo { ip, user_agent }
}

/// The language for mails and pages: `?lang=` first (pages), then
/// `Accept-Language`.
pub fn lang(req: &Request) -> crate::i18n::Lang {
    use crate::i18n::Lang;
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
