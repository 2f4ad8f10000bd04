//! What the endpoint is, before the password is typed: the health pill, and
//! a warning when the password would cross the network in clear.

use yew::prelude::*;

use crate::protocol::{Health, sends_in_clear};
use crate::text::{Text, t, tf};

#[derive(Debug, Properties, PartialEq)]
pub struct HealthPillProps {
    pub health: Health,
}

#[component]
pub fn HealthPill(props: &HealthPillProps) -> Html {
    let (class, text) = match &props.health {
        Health::Checking => ("pill checking", t(Text::HealthChecking)),
        Health::Companion(version) => ("pill ok", tf(Text::HealthCompanion, &[version])),
        Health::BackendAi(version) => ("pill ok", tf(Text::HealthBackendAi, &[version])),
        Health::NotBackendAi => ("pill bad", t(Text::HealthNotBackendAi)),
        Health::Unreachable => ("pill bad", t(Text::HealthUnreachable)),
        Health::Offline => ("pill bad", t(Text::HealthOffline)),
        Health::InvalidAddress => ("pill bad", t(Text::HealthInvalid)),
        Health::NeedsAccess => ("pill checking", t(Text::HealthNeedsAccess)),
    };
    html! { <span class={class} role="status" data-health={health_slug(&props.health)}>{ text }</span> }
}

pub fn health_slug(health: &Health) -> &'static str {
    match health {
        Health::Checking => "checking",
        Health::Companion(_) => "companion",
        Health::BackendAi(_) => "backend-ai",
        Health::NotBackendAi => "not-backend-ai",
        Health::Unreachable => "unreachable",
        Health::Offline => "offline",
        Health::InvalidAddress => "invalid",
        Health::NeedsAccess => "needs-access",
    }
}

#[derive(Debug, Properties, PartialEq)]
pub struct InsecureEndpointWarningProps {
    pub endpoint: AttrValue,
}

/// A warning, nothing else, for plain `http://` to another computer: a
/// server on a trusted network may have no certificate, but the person
/// should know before typing a password.
#[component]
pub fn InsecureEndpointWarning(props: &InsecureEndpointWarningProps) -> Html {
    if !sends_in_clear(&props.endpoint) {
        return html! {};
    }
    html! {
        <p class="warning" role="note" data-qa="insecure-endpoint">{ t(Text::InsecureEndpoint) }</p>
    }
}
